// SPDX-License-Identifier: MIT
#include "pipeline/batcher.h"

#include "logging/log.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"
#include "util/threadcleanup.h"
#include "util/timeformat.h"

namespace iot {

Batcher::Batcher(SourceFactory factory, FlushPolicy policy, std::size_t maxBuffered, BatchQueue *queue,
                 PipelineCounters *counters, Wake wakeWriter, Spool *spool, int spoolSyncMs)
    : m_factory(std::move(factory)), m_policy(policy), m_maxBuffered(std::max<std::size_t>(maxBuffered, 1)),
      // Resume well below the limit so reading does not flap on and off with every commit.
      m_lowWater(m_maxBuffered * 3 / 4), m_queue(queue), m_counters(counters), m_wakeWriter(std::move(wakeWriter)),
      m_spool(spool)
{
    m_syncTimer.setParent(this);
    m_syncTimer.setInterval(spoolSyncMs);
    connect(&m_syncTimer, &QTimer::timeout, this, [this] { m_spool->sync(); });
    m_flushTimer.setParent(this);  // moves to the ingest thread with us
    m_heartbeat.setParent(this);
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_flushTimer, &QTimer::timeout, this, &Batcher::flush);
}

Batcher::~Batcher()
{
    // The last thing the ingest thread does (deleted as it finishes): close the MQTT client, then free the
    // per-thread state libraries keep for it (TLS).
    m_source.reset();
    releaseThreadLocalLibraryState();
}

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
    if (m_spool)
        m_syncTimer.start();
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
    const std::int64_t now = TimeFormat::nowUs();
    std::uint64_t spoolEnd = 0;
    if (m_spool) {
        if (m_open.isEmpty()) {
            m_openSpoolStart = m_spool->endPosition();
            m_openAllSpooled = true;
        }
        // On disk before anything else happens to it: from here a crash of this process loses nothing.
        if (!m_spool->append(topic, payload, now, spoolEnd)) {
            m_openAllSpooled = false;
            if (m_counters->spoolWriteErrors.fetch_add(1, std::memory_order_relaxed) == 0)
                log::get("engine")->error("cannot write to the spool in {} (disk full?); messages are kept in "
                                          "memory only until it works again",
                                          m_spool->directory());
        }
    }
    m_open.append(topic, payload, now, spoolEnd);
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
    bool wake;
    if (m_spool && m_openAllSpooled && m_queue->inMemoryMessages() >= m_maxBuffered) {
        // The backlog goes to disk, not RAM: the writer reads these back from the spool when it gets to them.
        wake = m_queue->pushSpill({m_openSpoolStart, m_open.lastSpoolEnd(), m_open.size()});
        m_open.clear();
    } else {
        Batch next = m_queue->takeFree();
        next.reserve(m_policy.batchSize(), std::max<std::size_t>(m_open.bytes(), m_policy.batchSize() * 160));
        std::swap(next, m_open);
        wake = m_queue->push(std::move(next));
    }
    if (wake)
        m_wakeWriter();
    if (!m_full && overLimit()) {
        m_full = true;
        m_counters->readPauses.fetch_add(1, std::memory_order_relaxed);
        if (m_spool)
            log::get("engine")->warn("spool full ({} MiB of {} MiB): pausing MQTT reading; the broker holds new "
                                     "messages until the database catches up",
                                     m_spool->bytesInUse() >> 20, m_spool->maxBytes() >> 20);
        else
            log::get("engine")->warn("buffer full ({} messages in flight, limit {}): pausing MQTT reading; the "
                                     "broker holds new messages until the database catches up",
                                     m_counters->inFlight(), m_maxBuffered);
        updateReading();
    }
}

bool Batcher::overLimit() const
{
    if (m_spool)
        return m_spool->bytesInUse() >= m_spool->maxBytes();
    return m_counters->inFlight() >= m_maxBuffered;
}

bool Batcher::belowLowWater() const
{
    if (m_spool)
        return m_spool->bytesInUse() <= m_spool->maxBytes() / 10 * 9;
    return m_counters->inFlight() <= m_lowWater;
}

void Batcher::checkBuffer()
{
    if (m_full && belowLowWater()) {
        m_full = false;
        log::get("engine")->info("buffer below its low-water mark: resuming MQTT reading");
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
