// SPDX-License-Identifier: MIT
#include "batcher.h"

#include "batchqueue.h"
#include "log.h"
#include "pipelinecounters.h"
#include "timeformat.h"

namespace iot {

Batcher::Batcher(SourceFactory factory, FlushPolicy policy, std::size_t maxBuffered, BatchQueue *queue,
                 PipelineCounters *counters, Wake wakeWriter)
    : m_factory(std::move(factory)), m_policy(policy), m_maxBuffered(std::max<std::size_t>(maxBuffered, 1)),
      // Resume well below the limit so reading does not flap on and off with every commit.
      m_lowWater(m_maxBuffered * 3 / 4), m_queue(queue), m_counters(counters), m_wakeWriter(std::move(wakeWriter))
{
    m_flushTimer.setParent(this);  // moves to the ingest thread with us
    m_heartbeat.setParent(this);
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_flushTimer, &QTimer::timeout, this, &Batcher::flush);
}

Batcher::~Batcher() = default;

void Batcher::start()
{
    // Proves this thread's event loop turns; read by /healthz.
    connect(&m_heartbeat, &QTimer::timeout, this,
            [this] { m_counters->ingestHeartbeatUs.store(TimeFormat::nowUs(), std::memory_order_relaxed); });
    m_counters->ingestHeartbeatUs.store(TimeFormat::nowUs(), std::memory_order_relaxed);
    m_heartbeat.start(1000);
    m_source = m_factory();
    m_source->setMessageHandler([this](QByteArrayView topic, QByteArrayView payload) { onMessage(topic, payload); });
    connect(m_source.get(), &MessageSource::stateChanged, this,
            [this](MessageSource::State state, const QString &detail) {
                // Whatever was received before a disconnect should not wait for the flush timer.
                if (state != MessageSource::State::Connected)
                    flush();
                Q_EMIT sourceStateChanged(state, detail);
            });
    connect(m_source.get(), &MessageSource::errorOccurred, this, &Batcher::sourceError);
    connect(m_source.get(), &MessageSource::stopped, this, [this] {
        flush();
        Q_EMIT stopped();
    });
    m_open.reserve(m_policy.batchSize(), m_policy.batchSize() * 160);
    m_source->start();
}

void Batcher::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    if (!m_source) {
        Q_EMIT stopped();
        return;
    }
    m_source->stop();
}

void Batcher::onMessage(QByteArrayView topic, QByteArrayView payload)
{
    m_open.append(topic, payload, TimeFormat::nowUs());
    m_counters->received.fetch_add(1, std::memory_order_relaxed);
    switch (m_policy.afterAppend(m_open.size())) {
    case FlushPolicy::Action::Flush:
        flush();
        break;
    case FlushPolicy::Action::StartTimer:
        m_flushTimer.start(m_policy.msUntilDue(m_open.firstReceivedAtUs(), TimeFormat::nowUs()));
        break;
    case FlushPolicy::Action::None:
        break;
    }
}

void Batcher::flush()
{
    m_flushTimer.stop();
    if (m_open.isEmpty())
        return;
    Batch next;
    next.reserve(m_policy.batchSize(), m_open.bytes());
    std::swap(next, m_open);
    if (m_queue->push(std::move(next)))
        m_wakeWriter();
    if (!m_full && m_counters->inFlight() >= m_maxBuffered) {
        m_full = true;
        m_counters->readPauses.fetch_add(1, std::memory_order_relaxed);
        log::get("engine")->warn("buffer full ({} messages in flight, limit {}): pausing MQTT reading; the broker "
                                 "holds new messages until the database catches up",
                                 m_counters->inFlight(), m_maxBuffered);
        updateReading();
    }
}

void Batcher::checkBuffer()
{
    if (m_full && m_counters->inFlight() <= m_lowWater) {
        m_full = false;
        log::get("engine")->info("buffer below {} messages: resuming MQTT reading", m_lowWater);
        updateReading();
    }
}

void Batcher::setPaused(bool paused)
{
    m_operatorPaused = paused;
    if (paused)
        flush();
    updateReading();
}

void Batcher::updateReading()
{
    const bool pause = m_full || m_operatorPaused;
    m_counters->readingPaused.store(pause, std::memory_order_relaxed);
    if (m_source)
        m_source->setReadingPaused(pause);
}

void Batcher::reconnectNow()
{
    if (m_source)
        m_source->reconnectNow();
}

} // namespace iot
