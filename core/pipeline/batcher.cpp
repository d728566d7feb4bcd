// SPDX-License-Identifier: MIT
#include "pipeline/batcher.h"

#include "alerts/alertfeed.h"

#include "logging/log.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"
#include "util/threadcleanup.h"
#include "util/timeformat.h"

#include <cstring>

namespace iot {
namespace {

constexpr int SpoolRetryMs = 1000;

} // namespace

Batcher::Batcher(SourceFactory factory, FlushPolicy policy, Limits limits, BatchQueue *queue,
                 PipelineCounters *counters, Wake wakeWriter, Spool *spool, int spoolSyncMs)
    : m_factory(std::move(factory)), m_policy(policy), m_maxBuffered(std::max<std::size_t>(limits.messages, 1)),
      // Resume well below the limit so reading does not flap on and off with every commit.
      m_lowWater(m_maxBuffered * 3 / 4),
      m_maxBytes(limits.bytes > limits.reserveBytes ? limits.bytes - limits.reserveBytes : 1),
      m_lowWaterBytes(m_maxBytes / 4 * 3), m_limitBytes(limits.bytes), m_queue(queue), m_counters(counters),
      m_wakeWriter(std::move(wakeWriter)), m_spool(spool)
{
    m_syncTimer.setParent(this);
    m_syncTimer.setInterval(spoolSyncMs);
    connect(&m_syncTimer, &QTimer::timeout, this, &Batcher::syncSpool);
    m_spoolRetryTimer.setParent(this);
    m_spoolRetryTimer.setInterval(SpoolRetryMs);
    connect(&m_spoolRetryTimer, &QTimer::timeout, this, &Batcher::recoverSpool);
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
            [this](const MessageSource::StateInfo &info) {
                // Whatever was received before a disconnect should not wait for the flush timer.
                if (info.state != MessageSource::State::Connected)
                    flush();
                Q_EMIT sourceStateChanged(info);
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

void Batcher::setAlertFeed(std::shared_ptr<AlertFeed> feed, PayloadCheck check)
{
    m_alertFeed = std::move(feed);
    m_check = check;
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
            m_counters->spoolWriteErrors.fetch_add(1, std::memory_order_relaxed);
            if (m_spool->state() != m_spoolState)
                noteSpoolState();
            else if (m_spoolState == SpoolState::Ok && !m_warnedRecordTooLarge) {
                m_warnedRecordTooLarge = true;
                log::get("engine")->error("a message too large for the spool ({} bytes of payload) is kept in "
                                          "memory only; so is any later one (logged once)",
                                          payload.size());
            }
        }
    }
    // The feed's walk reads the alert fields and checks the payload at once; what passed is marked, so the
    // writer walks only the rest (and the messages it reads back from the spool).
    const bool checked = m_alertFeed && m_alertFeed->offer(topic, payload, now, &m_check);
    m_open.append(topic, payload, now, spoolEnd, checked);
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
    // In bytes the open batch counts too: with large payloads one batch is a real share of the bound.
    const bool memoryFull = m_queue->inMemoryMessages() >= m_maxBuffered
        || m_queue->inMemoryBytes() + m_counters->writerHeldBytes.load(std::memory_order_relaxed)
                + m_open.memoryBytes()
            > m_maxBytes;
    if (m_spool && m_openAllSpooled && memoryFull) {
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
        if (m_spool && m_spoolState != SpoolState::Ok && m_spool->bytesInUse() < m_spool->maxBytes())
            log::get("engine")->warn("spool unavailable ({}) and {}: pausing MQTT reading; the broker holds new "
                                     "messages until the disk or the database takes them",
                                     spoolStateName(m_spoolState), heldText());
        else if (m_spool)
            log::get("engine")->warn("spool full ({} MiB of {} MiB): pausing MQTT reading; the broker holds new "
                                     "messages until the database catches up",
                                     m_spool->bytesInUse() >> 20, m_spool->maxBytes() >> 20);
        else
            log::get("engine")->warn("buffer full ({}): pausing MQTT reading; the broker holds new messages until "
                                     "the database catches up",
                                     heldText());
        updateReading();
    }
}

std::size_t Batcher::heldInMemory() const
{
    return m_queue->inMemoryMessages() + m_open.size();
}

std::size_t Batcher::heldBytes() const
{
    return m_queue->inMemoryBytes() + m_counters->writerHeldBytes.load(std::memory_order_relaxed)
        + m_open.memoryBytes();
}

std::string Batcher::heldText() const
{
    const std::size_t messages = m_spool ? heldInMemory() : m_counters->inFlight();
    return fmt::format("{} messages and {:.1f} MiB held in memory; limits {} messages (max_buffered_messages), "
                       "{:.1f} MiB (max_buffered_mb)",
                       messages, double(heldBytes()) / (1 << 20), m_maxBuffered, double(m_limitBytes) / (1 << 20));
}

bool Batcher::memoryAtLimit() const
{
    const std::size_t messages = m_spool ? heldInMemory() : m_counters->inFlight();
    return messages >= m_maxBuffered || heldBytes() >= m_maxBytes;
}

bool Batcher::overLimit() const
{
    if (m_spool) {
        if (m_spool->bytesInUse() >= m_spool->maxBytes())
            return true;
        // While the disk refuses records they are held in memory only, as without a spool.
        return m_spoolState != SpoolState::Ok && memoryAtLimit();
    }
    return memoryAtLimit();
}

bool Batcher::belowLowWater() const
{
    const std::size_t messages = m_spool ? heldInMemory() : m_counters->inFlight();
    const bool memoryLow = messages <= m_lowWater && heldBytes() <= m_lowWaterBytes;
    if (m_spool)
        return m_spool->bytesInUse() <= m_spool->maxBytes() / 10 * 9
            && (m_spoolState == SpoolState::Ok || memoryLow);
    return memoryLow;
}

void Batcher::syncSpool()
{
    if (!m_spool->sync())
        noteSpoolState();
    m_counters->spoolSyncErrors.store(m_spool->syncFailures(), std::memory_order_relaxed);
}

void Batcher::recoverSpool()
{
    m_spoolStartAtFailure = m_spool->startPosition();
    if (m_spool->recover() || m_spool->state() != m_spoolState)
        noteSpoolState();
}

void Batcher::noteSpoolState()
{
    const SpoolState was = m_spoolState;
    const SpoolState now = m_spool->state();
    if (now == was)
        return;
    m_spoolState = now;
    m_counters->spoolState.store(now, std::memory_order_relaxed);
    auto lg = log::get("engine");
    const std::string error = std::strerror(m_spool->lastError());
    const std::int64_t nowUs = TimeFormat::nowUs();
    switch (now) {
    case SpoolState::Ok:
        lg->info("the spool in {} takes messages again after {:.1f} s ({}): back to normal", m_spool->directory(),
                 double(nowUs - m_spoolFailedAtUs) / 1e6, spoolStateName(was));
        m_spoolRetryTimer.stop();
        // Reading may have paused at the memory bound; with the disk back, new messages go to disk again.
        checkBuffer();
        return;
    case SpoolState::DiskFull:
    case SpoolState::WriteError:
        lg->warn("spool {} in {} ({}): new messages are held in memory only, up to max_buffered_messages ({}) "
                 "or max_buffered_mb ({:.1f} MiB), then MQTT reading pauses and the broker holds the rest; retrying "
                 "every {} s",
                 now == SpoolState::DiskFull ? "disk full" : "write error", m_spool->directory(), error,
                 m_maxBuffered, double(m_limitBytes) / (1 << 20), SpoolRetryMs / 1000);
        break;
    case SpoolState::SyncError:
        lg->warn("spool sync failed in {} ({}): messages spooled since the last good sync are not known to be on "
                 "disk and are kept until the database has them; new messages are held in memory only until a "
                 "sync succeeds",
                 m_spool->directory(), error);
        break;
    case SpoolState::Count:
        break;
    }
    if (was == SpoolState::Ok) {
        m_spoolFailedAtUs = nowUs;
        m_spoolStartAtFailure = m_spool->startPosition();
    }
    m_spoolRetryTimer.start();
}

void Batcher::checkBuffer()
{
    // The writer released segments: space may be back, no need to wait for the next retry.
    if (m_spool && m_spoolState != SpoolState::Ok && m_spool->startPosition() != m_spoolStartAtFailure)
        recoverSpool();
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
