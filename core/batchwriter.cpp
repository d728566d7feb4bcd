// SPDX-License-Identifier: MIT
#include "batchwriter.h"

#include "batchqueue.h"
#include "log.h"
#include "pipelinecounters.h"
#include "timeformat.h"

#include <QMetaEnum>

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
                         PipelineCounters *counters)
    : m_factory(std::move(factory)), m_config(config), m_queue(queue), m_counters(counters),
      m_check(static_cast<std::size_t>(config.maxPayloadBytes))
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

BatchWriter::~BatchWriter() = default;

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

void BatchWriter::start()
{
    // Proves this thread's event loop turns; read by /healthz.
    connect(&m_heartbeat, &QTimer::timeout, this,
            [this] { m_counters->writerHeartbeatUs.store(TimeFormat::nowUs(), std::memory_order_relaxed); });
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
    if (!st) {
        scheduleRetry(st.error().message);
        return;
    }
    logger()->info("database ready: {}", m_sink->describe());
    if (m_everConnected)
        m_counters->dbReconnects.fetch_add(1, std::memory_order_relaxed);
    m_everConnected = true;
    setState(State::Connected, QStringLiteral("connected to ") + m_sink->describe());
    drain();
}

void BatchWriter::scheduleRetry(const QString &reason)
{
    m_sink->close();
    const int delayMs = static_cast<int>(m_config.errorRetryDelaySec * 1000.0);
    logger()->warn("database unavailable ({}): {}; {} messages buffered, retry in {:.1f} s", m_sink->describe(),
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
        if (!m_queue->takeUpTo(static_cast<std::size_t>(m_config.maxTransactionRows), m_pending)) {
            checkFinished();
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
    int signalled = 0;
    for (std::uint32_t i = 0; i < m_pending.size(); ++i) {
        const PayloadCheckResult r = m_check.check(m_pending.payload(i));
        if (r.ok()) {
            set.good.push_back(i);
            continue;
        }
        set.dead.push_back({i, r.reason()});
        if (signalled++ < MaxDeadLetterSignals)
            Q_EMIT deadLettered(m_pending.topic(i).toByteArray(), set.dead.back().reason, m_pending.receivedAtUs(i));
    }
    m_pieces.push_back(std::move(set));
}

bool BatchWriter::writeNextPiece()
{
    WriteSet &piece = m_pieces.front();
    const std::int64_t startUs = TimeFormat::nowUs();
    const WriteOutcome out = m_sink->write(piece);
    report(piece, out, startUs);
    switch (out.kind) {
    case WriteOutcome::Kind::Ok: {
        const std::int64_t now = TimeFormat::nowUs();
        m_counters->written.fetch_add(piece.good.size(), std::memory_order_relaxed);
        m_counters->deadLettered.fetch_add(piece.dead.size(), std::memory_order_relaxed);
        m_counters->transactions.fetch_add(1, std::memory_order_relaxed);
        m_counters->lastCommitUs.store(now, std::memory_order_relaxed);
        m_counters->lastCommitLatencyUs.store(now - m_pending.firstReceivedAtUs(), std::memory_order_relaxed);
        if (!piece.dead.empty())
            logger()->warn("{} messages dead-lettered, first: {}", piece.dead.size(), piece.dead.front().reason);
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
        WriteSet second;
        second.batch = failed.batch;
        const auto mid = failed.good.begin() + static_cast<std::ptrdiff_t>(failed.good.size() / 2);
        second.good.assign(mid, failed.good.end());
        failed.good.erase(mid, failed.good.end());
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
        m_counters->dropped.fetch_add(failed.dead.size(), std::memory_order_relaxed);
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
