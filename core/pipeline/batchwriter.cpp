// SPDX-License-Identifier: MIT
#include "pipeline/batchwriter.h"

#include "logging/log.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "util/threadcleanup.h"
#include "util/timeformat.h"

#include <algorithm>
#include <iterator>

namespace iot {
namespace {

auto logger()
{
    static auto l = log::get("db");
    return l;
}

// At most this many dead-letter notifications per transaction reach the UI; all are stored and counted.
constexpr int MaxDeadLetterSignals = 20;
constexpr qsizetype PayloadPreviewBytes = 64;   // of a dead letter's payload, in deadLettered()

} // namespace

BatchWriter::BatchWriter(SinkFactory factory, const SubscriberConfig &config, BatchQueue *queue,
                         PipelineCounters *counters, Spool *spool, std::uint64_t replayTo)
    : m_factory(std::move(factory)), m_config(config), m_queue(queue), m_counters(counters),
      m_check(static_cast<std::size_t>(config.maxPayloadBytes)), m_spool(spool, replayTo, counters)
{
    // Parented so that moveToThread takes the timers along to the writer thread.
    m_retryTimer.setParent(this);
    m_finishTimer.setParent(this);
    m_heartbeat.setParent(this);
    m_retryTimer.setSingleShot(true);
    m_finishTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &BatchWriter::tryOpen);
    connect(&m_finishTimer, &QTimer::timeout, this, [this] {
        if (m_finished)
            return;
        m_finished = true;
        const quint64 left = pendingRows();
        logger()->error("shutdown timeout: {} messages could not be written", left);
        Q_EMIT finished(left);
    });
}

BatchWriter::~BatchWriter()
{
    // The last thing the writer thread does (deleted as it finishes): close the database connection, then free
    // the per-thread state libraries keep for it.
    std::unique_lock lock(m_sinkMutex);
    std::unique_ptr<SqlSink> sink = std::move(m_sink);
    lock.unlock();  // interrupt() must not wait for a close
    sink.reset();
    releaseThreadLocalLibraryState();
}

void BatchWriter::setState(StateInfo info)
{
    if (info.state == m_state && info.state != State::Retrying && info.state != State::Blocked)
        return;
    if (info.state == State::Retrying)
        ++m_failedTries;
    else if (info.state == State::Connected)
        m_failedTries = 0;
    m_state = info.state;
    info.sinceUs = TimeFormat::nowUs();
    info.attempt = m_failedTries;
    if (info.target.isEmpty() && m_sink)
        info.target = m_sink->describe();
    Q_EMIT stateChanged(info);
}

void BatchWriter::addObserver(std::shared_ptr<PipelineObserver> observer)
{
    m_observers.push_back(std::move(observer));
}

void BatchWriter::report(const WriteSet &piece, const WriteOutcome &out, std::int64_t startUs)
{
    if (m_observers.empty())
        return;
    TransactionReport r;
    r.outcome = out.ok()                                ? TransactionReport::Outcome::Committed
        : out.failure == FailureClass::Connection ? TransactionReport::Outcome::Retry
                                                  : TransactionReport::Outcome::DataError;
    r.batch = piece.batch;
    r.rows = &piece.good;
    r.deadLetters = piece.dead.size();
    for (const std::uint32_t i : piece.good)
        r.payloadBytes += static_cast<std::size_t>(piece.batch->payload(i).size());
    r.startUs = startUs;
    r.endUs = TimeFormat::nowUs();
    r.table = m_sink->table();
    r.error = out.message;
    r.attempt = m_attempt;
    for (const auto &o : m_observers)
        o->transactionFinished(r);
}

void BatchWriter::setMappings(const QList<MappingRule> &rules, bool unmatchedToDeadLetter)
{
    if (rules.isEmpty())
        m_mapper.reset();
    else
        m_mapper = std::make_unique<Mapper>(rules, unmatchedToDeadLetter);
}

void BatchWriter::start()
{
    // Proves this thread's event loop turns; read by /healthz.
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        const std::int64_t now = TimeFormat::nowUs();
        m_counters->writerHeartbeatUs.store(now, std::memory_order_relaxed);
        // Idle for a while: check the connection, so a lost server shows (state, /readyz) before the next write.
        if (m_state == State::Connected && m_pieces.empty() && m_queue->isEmpty() && now - m_lastWriteUs > 5000000) {
            m_lastWriteUs = now;
            if (const Status st = m_sink->ping(); !st)
                scheduleRetry(st.error().message);
        }
    });
    m_counters->writerHeartbeatUs.store(TimeFormat::nowUs(), std::memory_order_relaxed);
    m_heartbeat.start(1000);
    {
        const std::lock_guard lock(m_sinkMutex);
        m_sink = m_factory();
        if (m_interrupted)
            m_sink->interrupt();
    }
    tryOpen();
}

void BatchWriter::tryOpen()
{
    if (m_finished || m_failed)
        return;
    setState({.state = State::Connecting});
    const Status st = m_sink->open();
    if (!st && st.error().fatal) {
        // Retrying cannot fix it (a schema conflict): say so once and stop; the rows stay in the spool.
        m_sink->close();
        m_failed = true;
        logger()->critical("{}", st.error().message);
        setState({.state = State::Failed, .cause = Cause::Fatal, .message = st.error().message});
        Q_EMIT fatalError(st.error().message);
        return;
    }
    if (!st) {
        scheduleRetry(st.error().message);
        return;
    }
    if (m_spool.enabled() && !syncCheckpoint())
        return;
    logger()->info("database ready: {}", m_sink->describe());
    if (m_everConnected)
        m_counters->dbReconnects.fetch_add(1, std::memory_order_relaxed);
    m_everConnected = true;
    setState({.state = State::Connected});
    drain();
}

bool BatchWriter::syncCheckpoint()
{
    const Result<CheckpointClaim> c = m_sink->claimCheckpoint();
    if (!c || c.value().kind == CheckpointClaim::Kind::InUse) {
        const Cause cause = c                        ? Cause::SpoolInUse
                            : m_sink->notAnswering() ? Cause::NotAnswering
                                                     : Cause::CheckpointUnreadable;
        scheduleRetry({.cause = cause, .message = c ? m_spool.spoolId() : c.error().message});
        return false;
    }
    m_spool.adopt(c.value());
    m_spool.dropCommitted(m_pieces);
    noteHeldBytes();
    return true;
}

std::size_t BatchWriter::maxTransactionBytes(const SubscriberConfig &config)
{
    // An eighth of max_buffered_mb: while the writer copies a transaction off the queue both copies exist, so the
    // ingest side keeps this much of the bound free (Batcher::Limits::reserveBytes); a larger share would leave
    // the queue little room. 8 MiB by default, above max_transaction_rows of 110-byte messages (~8 MB), so small
    // messages are not cut into smaller transactions.
    return std::max<std::size_t>((std::size_t(config.maxBufferedMb) << 20) / 8, 1);
}

void BatchWriter::noteHeldBytes()
{
    const std::size_t held = m_pieces.empty() ? 0 : m_pending.memoryBytes();
    m_counters->writerHeldBytes.store(held, std::memory_order_relaxed);
}

bool BatchWriter::loadWork(Batch &into)
{
    const auto cap = static_cast<std::size_t>(m_config.maxTransactionRows);
    const std::size_t capBytes = maxTransactionBytes(m_config);
    // Room for a whole transaction at once: grown by doubling instead, the buffer (kept for reuse) could end up
    // twice the cap. Untouched until used.
    into.reserve(0, capBytes);
    if (m_spool.replay(into, cap, capBytes))
        return true;
    // Straight into `into` (m_pending), whose buffers (grown to the largest transaction so far) are reused.
    if (!m_queue->takeUpTo(cap, into, capBytes))
        return false;
    if (into.isSpilled()) {
        const Batch::Spill sp = into.spill();
        into.clear();
        m_spool.readBack(sp, into, cap, capBytes, *m_queue);
    }
    return true;
}

void BatchWriter::scheduleRetry(StateInfo why)
{
    // Reconnecting also runs the start-up schema setup again, which re-creates a table dropped meanwhile.
    m_sink->close();
    const int delayMs = static_cast<int>(m_config.errorRetryDelaySec * 1000.0);
    why.state = why.cause == Cause::TableRefusesEveryRow || why.cause == Cause::DeadLetterTableRefuses
            || why.cause == Cause::SpoolInUse
        ? State::Blocked
        : State::Retrying;
    why.retryDelayUs = qint64(delayMs) * 1000;
    const QString reason = why.reason();
    if (why.state == State::Blocked) {
        log::withFields(*logger(), spdlog::level::err, {{"error", reason}, {"rows", m_counters->inFlight()}},
                        "writing stopped ({}): {}; nothing is dropped, {} messages held, retry in {:.1f} s",
                        m_sink->describe(), reason, m_counters->inFlight(), delayMs / 1000.0);
        setState(std::move(why));
    } else {
        log::withFields(*logger(), spdlog::level::warn, {{"error", reason}, {"rows", m_counters->inFlight()}},
                        "database unavailable ({}): {}; {} messages buffered, retry in {:.1f} s", m_sink->describe(),
                        reason, m_counters->inFlight(), delayMs / 1000.0);
        setState(std::move(why));
    }
    m_retryTimer.start(delayMs);
}

void BatchWriter::drain()
{
    m_drainPosted = false;
    if (m_finished || m_state != State::Connected)
        return;
    if (m_pieces.empty()) {
        m_pending.clear();
        if (!loadWork(m_pending)) {
            checkFinished();
            return;
        }
        if (m_pending.isEmpty()) {
            // Only damaged spool bytes this time: try the next source on the next turn.
            m_drainPosted = true;
            QMetaObject::invokeMethod(this, &BatchWriter::drain, Qt::QueuedConnection);
            return;
        }
        prepareWork(0);
        noteHeldBytes();
    }
    if (!writeNextPiece())
        return;
    // One transaction per event-loop turn keeps timers and shutdown requests on this thread responsive.
    if (!m_pieces.empty() || !m_queue->isEmpty() || m_spool.replayPending()) {
        if (!m_drainPosted) {
            m_drainPosted = true;
            QMetaObject::invokeMethod(this, &BatchWriter::drain, Qt::QueuedConnection);
        }
    } else {
        checkFinished();
    }
}

void BatchWriter::prepareWork(std::uint32_t from)
{
    WriteSet set;
    set.batch = &m_pending;
    set.good.reserve(m_pending.size() - from);
    if (m_mapper) {
        if (from == 0)
            m_mapped.reset(std::size_t(m_mapper->rules().size()), m_pending.size());
        else
            m_mapped.grow(m_pending.size());
        set.mapped = &m_mapped;
    }
    int signalled = 0;
    for (std::uint32_t i = from; i < m_pending.size(); ++i) {
        // Checked on the ingest thread already when the alert feed walked it (Batch::Entry::checked).
        const PayloadCheckResult r = m_pending.checked(i) ? PayloadCheckResult() : m_check.check(m_pending.payload(i));
        QString reason;
        Reasons::DeadLetter why;
        if (r.ok() && !m_mapper) {
            set.good.push_back(i);
            continue;
        }
        if (r.ok()) {
            const Mapper::Outcome o =
                m_mapper->map(m_pending.topic(i), m_pending.payload(i), m_pending.receivedAtUs(i), i, m_mapped.perRule);
            if (o.kind != Mapper::Outcome::Kind::Rejected) {
                if (o.kind == Mapper::Outcome::Kind::Mapped) {
                    m_mapped.rowRule[i] = o.rule;
                    m_mapped.rowSlot[i] = std::uint32_t(m_mapped.perRule[std::size_t(o.rule)].rows() - 1);
                }
                set.good.push_back(i);
                continue;
            }
            reason = o.reason;
            why = o.rule < 0 ? Reasons::DeadLetter::Unmatched : Reasons::DeadLetter::Mapping;
        } else {
            reason = r.reason();
            why = r.deadLetter();
        }
        set.dead.push_back({i, reason, why});
        if (signalled++ < MaxDeadLetterSignals)
            reportDeadLetter(i, set.dead.back().reason);
    }
    set.checkpoint = m_pending.spoolEndOfFirst(m_pending.size());
    m_pieces.push_back(std::move(set));
}

bool BatchWriter::extendWork()
{
    // More rows to compare a refused one with: whatever is queued (or still to replay) joins the pending
    // transaction as a piece of its own at the end, so spool order and every checkpoint stay as they were.
    m_extra.clear();
    if (!loadWork(m_extra) || m_extra.isEmpty())
        return false;
    const auto from = static_cast<std::uint32_t>(m_pending.size());
    m_pending.appendAll(m_extra);
    m_extra.clear();
    prepareWork(from);
    noteHeldBytes();
    return true;
}

std::size_t BatchWriter::target(std::uint32_t row) const
{
    return m_mapper && m_mapped.isMapped(row) ? std::size_t(m_mapped.rowRule[row]) + 1 : 0;
}

QString BatchWriter::targetName(std::size_t t) const
{
    return t == 0 ? m_sink->table() : m_mapper->rules()[qsizetype(t - 1)].table;
}

bool BatchWriter::writeNextPiece()
{
    WriteSet &piece = m_pieces.front();
    const std::int64_t startUs = TimeFormat::nowUs();
    m_lastWriteUs = startUs;
    const WriteOutcome out = m_sink->write(piece);
    report(piece, out, startUs);
    if (!out.ok()) {
        m_spool.noteInDoubt(piece.checkpoint);
        return handleFailure(out);
    }
    countCommitted(piece, out);
    if (piece.bisecting) {
        // Evidence for judging a row that fails alone later in this split: its table took other rows.
        for (const std::uint32_t i : piece.good)
            m_bisection.noteCommitted(target(i));
    }
    m_spool.commit(piece.checkpoint);
    const quint64 rows = piece.rows();
    m_pieces.pop_front();
    m_attempt = 1;
    m_unknownFailures = 0;
    noteHeldBytes();  // before committed(): the ingest side re-checks its bound on it
    Q_EMIT committed(rows);
    return true;
}

void BatchWriter::countCommitted(const WriteSet &piece, const WriteOutcome &out)
{
    const std::int64_t now = TimeFormat::nowUs();
    m_counters->written.fetch_add(piece.good.size() - std::min(piece.good.size(), out.deduplicated),
                                  std::memory_order_relaxed);
    m_counters->deduplicated.fetch_add(out.deduplicated, std::memory_order_relaxed);
    m_counters->deadLettered.fetch_add(piece.dead.size(), std::memory_order_relaxed);
    for (const WriteSet::DeadLetter &dl : piece.dead)
        m_counters->deadLetteredBy[std::size_t(dl.kind)].fetch_add(1, std::memory_order_relaxed);
    m_counters->transactions.fetch_add(1, std::memory_order_relaxed);
    m_counters->lastCommitUs.store(now, std::memory_order_relaxed);
    m_counters->lastCommitLatencyUs.store(now - m_pending.firstReceivedAtUs(), std::memory_order_relaxed);
    if (!piece.dead.empty())
        log::withFields(*logger(), spdlog::level::warn,
                        {{"rows", piece.dead.size()}, {"topic", m_pending.topic(piece.dead.front().row)},
                         {"error", piece.dead.front().reason}},
                        "{} messages dead-lettered, first: {}", piece.dead.size(), piece.dead.front().reason);
}

quint64 BatchWriter::pendingRows() const
{
    quint64 rows = m_queue->messages();
    for (const WriteSet &p : m_pieces)
        rows += p.rows();
    return rows;
}

void BatchWriter::finish(int timeoutMs)
{
    if (m_failed) {
        // Nothing can be written after a fatal error: end at once; what is pending stays in the spool.
        m_finished = true;
        Q_EMIT finished(pendingRows());
        return;
    }
    m_finishing = true;
    m_finishTimer.start(std::max(1, timeoutMs));
    if (m_state == State::Connected)
        drain();
    checkFinished();
}

void BatchWriter::interrupt()
{
    const std::lock_guard lock(m_sinkMutex);
    m_interrupted = true;
    if (m_sink)
        m_sink->interrupt();
}

void BatchWriter::checkFinished()
{
    if (!m_finishing || m_finished || pendingRows() != 0)
        return;
    m_finished = true;
    m_finishTimer.stop();
    Q_EMIT finished(0);
}

void BatchWriter::reportDeadLetter(std::size_t i, const QString &reason)
{
    const QByteArrayView payload = m_pending.payload(i);
    Q_EMIT deadLettered(m_pending.topic(i).toByteArray(), reason, m_pending.receivedAtUs(i),
                        payload.first(std::min(payload.size(), PayloadPreviewBytes)).toByteArray());
}

} // namespace iot
