// SPDX-License-Identifier: MIT
#include "pipeline/batchwriter.h"

#include "logging/log.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"
#include "util/threadcleanup.h"
#include "util/timeformat.h"

#include <QMetaEnum>

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

} // namespace

BatchWriter::BatchWriter(SinkFactory factory, const SubscriberConfig &config, BatchQueue *queue,
                         PipelineCounters *counters, Spool *spool, std::uint64_t replayTo)
    : m_factory(std::move(factory)), m_config(config), m_queue(queue), m_counters(counters),
      m_check(static_cast<std::size_t>(config.maxPayloadBytes)), m_spool(spool), m_replayTo(replayTo)
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
    m_sink.reset();
    releaseThreadLocalLibraryState();
}

QString BatchWriter::stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(static_cast<int>(state))).toLower();
}

void BatchWriter::setState(State state, const QString &detail)
{
    if (state == m_state && state != State::Retrying)
        return;
    m_state = state;
    Q_EMIT stateChanged(state, detail);
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
    r.outcome = out.kind == WriteOutcome::Kind::Ok ? TransactionReport::Outcome::Committed
        : out.kind == WriteOutcome::Kind::Retry     ? TransactionReport::Outcome::Retry
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
    m_sink = m_factory();
    tryOpen();
}

void BatchWriter::tryOpen()
{
    if (m_finished)
        return;
    setState(State::Connecting, QStringLiteral("connecting to ") + m_sink->describe());
    const Status st = m_sink->open();
    if (!st && st.error().fatal) {
        // Retrying cannot fix it (a schema conflict): say so once and stop; the rows stay in the spool.
        m_sink->close();
        m_finished = true;
        logger()->critical("{}", st.error().message);
        setState(State::Disconnected, QStringLiteral("stopped: ") + st.error().message.section(QLatin1Char('\n'), 0, 0));
        Q_EMIT fatalError(st.error().message);
        return;
    }
    if (!st) {
        scheduleRetry(st.error().message);
        return;
    }
    if (m_spool && !syncCheckpoint())
        return;
    logger()->info("database ready: {}", m_sink->describe());
    if (m_everConnected)
        m_counters->dbReconnects.fetch_add(1, std::memory_order_relaxed);
    m_everConnected = true;
    setState(State::Connected, QStringLiteral("connected to ") + m_sink->describe());
    drain();
}

bool BatchWriter::syncCheckpoint()
{
    const Result<std::uint64_t> c = m_sink->readCheckpoint();
    if (!c) {
        scheduleRetry(QStringLiteral("cannot read the spool checkpoint: ") + c.error().message);
        return false;
    }
    std::uint64_t committed = c.value();
    if (!m_committedThisRun && committed > m_replayTo) {
        // Positions restart at 0 in a new spool directory; a checkpoint from an older one means nothing here.
        logger()->warn("the database's spool checkpoint ({}) is beyond this spool's end ({}): the spool directory "
                       "was replaced; ignoring the old checkpoint",
                       committed, m_replayTo);
        committed = 0;
    }
    m_committed = std::max(m_committed, committed);
    if (!m_replayPlanned) {
        m_replayPlanned = true;
        m_replayFrom = std::max(m_committed, m_spool->startPosition());
        if (m_replayFrom < m_replayTo)
            logger()->info("replaying the spool from position {} to {}: messages received before the last stop "
                           "but not committed",
                           m_replayFrom, m_replayTo);
        else
            m_replayFrom = m_replayTo;
    }
    dropCommitted();
    return true;
}

void BatchWriter::dropCommitted()
{
    // A commit whose acknowledgement was lost with the connection did happen if the checkpoint says so: those rows
    // must not be written twice.
    std::size_t written = 0, dead = 0;
    const auto done = [this](std::uint64_t end) { return end != 0 && end <= m_committed; };
    for (auto it = m_pieces.begin(); it != m_pieces.end();) {
        const Batch &b = *it->batch;
        const auto g = std::remove_if(it->good.begin(), it->good.end(), [&](std::uint32_t i) { return done(b.spoolEnd(i)); });
        written += static_cast<std::size_t>(it->good.end() - g);
        it->good.erase(g, it->good.end());
        const auto dl = std::remove_if(it->dead.begin(), it->dead.end(),
                                       [&](const WriteSet::DeadLetter &x) { return done(b.spoolEnd(x.row)); });
        dead += static_cast<std::size_t>(it->dead.end() - dl);
        it->dead.erase(dl, it->dead.end());
        it = it->rows() == 0 ? m_pieces.erase(it) : std::next(it);
    }
    if (written + dead == 0)
        return;
    m_counters->written.fetch_add(written, std::memory_order_relaxed);
    m_counters->deadLettered.fetch_add(dead, std::memory_order_relaxed);
    logger()->info("{} rows were committed just before the connection was lost; not writing them again",
                   written + dead);
}

bool BatchWriter::readSpool(std::uint64_t from, std::uint64_t to, std::size_t max, std::uint64_t &next)
{
    const Spool::ReadResult r = m_spool->read(from, to, max, m_pending);
    next = r.next;
    if (r.damagedBytes) {
        m_counters->spoolDamagedBytes.fetch_add(r.damagedBytes, std::memory_order_relaxed);
        logger()->error("spool damage: {} bytes between positions {} and {} could not be read", r.damagedBytes,
                        from, to);
    }
    return r.records > 0;
}

bool BatchWriter::loadWork()
{
    const auto cap = static_cast<std::size_t>(m_config.maxTransactionRows);
    if (m_spool && m_replayFrom < m_replayTo) {
        std::uint64_t next = m_replayTo;
        const bool got = readSpool(m_replayFrom, m_replayTo, cap, next);
        m_replayFrom = got ? next : m_replayTo;
        m_counters->replayed.fetch_add(m_pending.size(), std::memory_order_relaxed);
        if (got)
            return true;
    }
    // Straight into m_pending, whose buffers (grown to the largest transaction so far) are reused every time.
    if (!m_queue->takeUpTo(cap, m_pending))
        return false;
    if (!m_pending.isSpilled())
        return true;
    const Batch::Spill sp = m_pending.spill();
    m_pending.clear();
    std::uint64_t next = sp.to;
    readSpool(sp.from, sp.to, std::min(cap, sp.count), next);
    const std::size_t got = m_pending.size();
    if (got < sp.count && next < sp.to) {
        m_queue->pushFront(Batch::spilled({next, sp.to, sp.count - got}));
    } else if (got < sp.count) {
        // The disk lost them (damage found while reading back): counted, never silent.
        m_counters->drop(Reasons::Drop::SpoolUnreadable, sp.count - got);
        logger()->error("{} spilled messages could not be read back from the spool and are lost", sp.count - got);
    }
    return true;
}

void BatchWriter::scheduleRetry(const QString &reason)
{
    m_sink->close();
    const int delayMs = static_cast<int>(m_config.errorRetryDelaySec * 1000.0);
    log::withFields(*logger(), spdlog::level::warn, {{"error", reason}, {"rows", m_counters->inFlight()}},
                    "database unavailable ({}): {}; {} messages buffered, retry in {:.1f} s", m_sink->describe(),
                    reason, m_counters->inFlight(), delayMs / 1000.0);
    setState(State::Retrying, QStringLiteral("retry in %1 s: %2").arg(delayMs / 1000.0, 0, 'f', 1).arg(reason));
    m_retryTimer.start(delayMs);
}

void BatchWriter::drain()
{
    m_drainPosted = false;
    if (m_finished || m_state != State::Connected)
        return;
    if (m_pieces.empty()) {
        m_pending.clear();
        if (!loadWork()) {
            checkFinished();
            return;
        }
        if (m_pending.isEmpty()) {
            // Only damaged spool bytes this time: try the next source on the next turn.
            m_drainPosted = true;
            QMetaObject::invokeMethod(this, &BatchWriter::drain, Qt::QueuedConnection);
            return;
        }
        prepareWork();
    }
    if (!writeNextPiece())
        return;
    // One transaction per event-loop turn keeps timers and shutdown requests on this thread responsive.
    if (!m_pieces.empty() || !m_queue->isEmpty()) {
        if (!m_drainPosted) {
            m_drainPosted = true;
            QMetaObject::invokeMethod(this, &BatchWriter::drain, Qt::QueuedConnection);
        }
    } else {
        checkFinished();
    }
}

void BatchWriter::prepareWork()
{
    WriteSet set;
    set.batch = &m_pending;
    set.good.reserve(m_pending.size());
    if (m_mapper) {
        m_mapped.reset(std::size_t(m_mapper->rules().size()), m_pending.size());
        set.mapped = &m_mapped;
    }
    int signalled = 0;
    for (std::uint32_t i = 0; i < m_pending.size(); ++i) {
        const PayloadCheckResult r = m_check.check(m_pending.payload(i));
        QString reason;
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
        } else {
            reason = r.reason();
        }
        set.dead.push_back({i, reason});
        if (signalled++ < MaxDeadLetterSignals)
            Q_EMIT deadLettered(m_pending.topic(i).toByteArray(), set.dead.back().reason, m_pending.receivedAtUs(i));
    }
    set.checkpoint = m_pending.spoolEndOfFirst(m_pending.size());
    m_pieces.push_back(std::move(set));
}

bool BatchWriter::writeNextPiece()
{
    WriteSet &piece = m_pieces.front();
    const std::int64_t startUs = TimeFormat::nowUs();
    m_lastWriteUs = startUs;
    const WriteOutcome out = m_sink->write(piece);
    report(piece, out, startUs);
    switch (out.kind) {
    case WriteOutcome::Kind::Ok: {
        const std::int64_t now = TimeFormat::nowUs();
        m_counters->written.fetch_add(piece.good.size() - std::min(piece.good.size(), out.deduplicated),
                                      std::memory_order_relaxed);
        m_counters->deduplicated.fetch_add(out.deduplicated, std::memory_order_relaxed);
        m_counters->deadLettered.fetch_add(piece.dead.size(), std::memory_order_relaxed);
        for (const WriteSet::DeadLetter &dl : piece.dead)
            m_counters->deadLetteredBy[std::size_t(Reasons::classify(dl.reason))].fetch_add(1, std::memory_order_relaxed);
        m_counters->transactions.fetch_add(1, std::memory_order_relaxed);
        m_counters->lastCommitUs.store(now, std::memory_order_relaxed);
        m_counters->lastCommitLatencyUs.store(now - m_pending.firstReceivedAtUs(), std::memory_order_relaxed);
        if (!piece.dead.empty())
            log::withFields(*logger(), spdlog::level::warn,
                            {{"rows", piece.dead.size()}, {"topic", m_pending.topic(piece.dead.front().row)},
                             {"error", piece.dead.front().reason}},
                            "{} messages dead-lettered, first: {}", piece.dead.size(), piece.dead.front().reason);
        if (m_spool && piece.checkpoint) {
            m_committed = std::max(m_committed, piece.checkpoint);
            m_committedThisRun = true;
            m_spool->release(m_committed);
            m_counters->spoolBytes.store(m_spool->bytesInUse(), std::memory_order_relaxed);
        }
        const quint64 rows = piece.rows();
        m_pieces.pop_front();
        m_attempt = 1;
        Q_EMIT committed(rows);
        return true;
    }
    case WriteOutcome::Kind::Retry:
        m_counters->writeFailures.fetch_add(1, std::memory_order_relaxed);
        ++m_attempt;
        scheduleRetry(out.message);
        return false;
    case WriteOutcome::Kind::DataError:
        break;
    }
    // The database refused the rows themselves: split until the refused rows stand alone, store those as dead
    // letters with the server's reason, and write the rest.
    m_counters->writeFailures.fetch_add(1, std::memory_order_relaxed);
    WriteSet failed = std::move(piece);
    m_pieces.pop_front();
    if (failed.good.size() > 1) {
        // Split by position so the two halves stay in spool order (dead letters go with their neighbours): the
        // checkpoint of the first never covers a row of the second.
        const std::uint32_t midRow = failed.good[failed.good.size() / 2];
        WriteSet second;
        second.batch = failed.batch;
        second.mapped = failed.mapped;
        const auto g = std::partition_point(failed.good.begin(), failed.good.end(),
                                            [midRow](std::uint32_t i) { return i < midRow; });
        second.good.assign(g, failed.good.end());
        failed.good.erase(g, failed.good.end());
        const auto dl = std::stable_partition(failed.dead.begin(), failed.dead.end(),
                                              [midRow](const WriteSet::DeadLetter &x) { return x.row < midRow; });
        second.dead.assign(std::make_move_iterator(dl), std::make_move_iterator(failed.dead.end()));
        failed.dead.erase(dl, failed.dead.end());
        second.checkpoint = failed.checkpoint;
        failed.checkpoint = failed.batch->spoolEndOfFirst(midRow);  // midRow > first row of the piece
        m_pieces.push_front(std::move(second));
        m_pieces.push_front(std::move(failed));
    } else if (failed.good.size() == 1) {
        logger()->warn("database rejected a row: {}", out.message);
        failed.dead.push_back({failed.good.front(), QStringLiteral("rejected by database: ") + out.message});
        if (failed.dead.size() <= MaxDeadLetterSignals)
            Q_EMIT deadLettered(m_pending.topic(failed.good.front()).toByteArray(), failed.dead.back().reason,
                                m_pending.receivedAtUs(failed.good.front()));
        failed.good.clear();
        m_pieces.push_front(std::move(failed));
    } else {
        // Even the dead-letter rows were refused (they are stored as raw bytes, so this should not happen).
        m_counters->drop(Reasons::Drop::DeadLetterRefused, failed.dead.size());
        logger()->error("{} dead letters could not be stored and are dropped: {}", failed.dead.size(), out.message);
    }
    return true;
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
    m_finishing = true;
    m_finishTimer.start(std::max(1, timeoutMs));
    if (m_state == State::Connected)
        drain();
    checkFinished();
}

void BatchWriter::checkFinished()
{
    if (!m_finishing || m_finished || pendingRows() != 0)
        return;
    m_finished = true;
    m_finishTimer.stop();
    Q_EMIT finished(0);
}

} // namespace iot
