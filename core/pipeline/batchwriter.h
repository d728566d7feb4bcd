// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/mapper.h"
#include "pipeline/batch.h"
#include "pipeline/bisection.h"
#include "pipeline/payloadcheck.h"
#include "pipeline/pipelineobserver.h"
#include "pipeline/spoolcursor.h"
#include "storage/sqlsink.h"

#include <QDeadlineTimer>
#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace iot {

class BatchQueue;
class Spool;
struct PipelineCounters;

/// Takes batches off the queue and stores them, one transaction per group of batches; checks payloads, dead-letters
/// what cannot be stored, splits transactions the database refuses until a bad row stands alone, and keeps rows
/// through outages and refusals until they are written. Lives on the writer thread; its sink (and QSqlDatabase) is
/// created there in start().
class BatchWriter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BatchWriter)
public:
    /// Retrying: the connection or the server's state failed a write; Blocked: the database refuses every row of a
    /// table (no single row explains the failure: a missing permission, a trigger that refuses all): writing stopped,
    /// nothing is dropped or dead-lettered for it, retried every error_retry_delay_sec. Failed: a problem no retry
    /// can fix (fatalError, e.g. [[mappings]] that conflict with an existing table): nothing is tried any more; the
    /// rows stay in the spool until the configuration changes (a new engine).
    enum class State { Disconnected, Connecting, Connected, Retrying, Blocked, Failed };
    Q_ENUM(State)
    /// Why writing is retried, blocked or failed.
    enum class Cause {
        None,
        Unavailable,             // the connection or the server's state (FailureClass::Connection, Unknown)
        NotAnswering,            // the server did not answer a round trip in time: the connection was cut
        CheckpointUnreadable,    // the spool checkpoint cannot be read
        TableRefusesEveryRow,    // Blocked: `table` refuses every row (permission, trigger)
        DeadLetterTableRefuses,  // Blocked: the dead-letter table refuses rows
        SpoolInUse,              // Blocked: another live process holds this spool id's lock (`message`: the id)
        Fatal,                   // Failed: no retry helps (conflicting [[mappings]])
    };
    Q_ENUM(Cause)

    /// A state with what goes with it, emitted whole on every change and carried by EngineSnapshot: the window and
    /// /readyz format it, nothing parses it.
    struct StateInfo
    {
        State state = State::Disconnected;
        qint64 sinceUs = 0;          // wall time the state began (0: not started)
        QString target{};            // the sink's describe(): "PostgreSQL iot@127.0.0.1:5432/iot, table readings"
        int attempt = 0;             // Retrying: failed tries since the database was last connected, from 1
        qint64 retryDelayUs = 0;     // Retrying, Blocked: the wait announced at sinceUs
        Cause cause = Cause::None;
        QString table{};             // TableRefusesEveryRow: which table
        QString code{};              // the SQLSTATE, when the database gave one
        QString message{};           // the database's (or driver's) words

        /// The cause in words: the server's message, "cannot read the spool checkpoint: …", "readings refuses
        /// every row (42501): …".
        QString reason() const;
        /// The one-line text of /readyz: "connected to …", "retry in 5.0 s: …", "…; retry in 5.0 s".
        QString detail() const;
        bool operator==(const StateInfo &) const = default;
    };
    using SinkFactory = std::function<std::unique_ptr<SqlSink>()>;

    /// With a spool, `replayTo` is where the spool ended when it was opened: what lies before it and after the
    /// database's checkpoint is replayed first.
    BatchWriter(SinkFactory factory, const SubscriberConfig &config, BatchQueue *queue, PipelineCounters *counters,
                Spool *spool = nullptr, std::uint64_t replayTo = 0);
    ~BatchWriter() override;

    /// Observers see every transaction (metrics, traces, topic statistics). Add before start().
    void addObserver(std::shared_ptr<PipelineObserver> observer);
    /// Routes messages into [[mappings]] tables (none: everything is stored raw). Call before start().
    void setMappings(const QList<MappingRule> &rules, bool unmatchedToDeadLetter);
    /// Creates the sink and opens the database (retrying until it works). Call on the writer thread.
    void start();
    /// Writes whatever is queued; invoked (queued) whenever the ingest side hands over a batch.
    void drain();
    /// Writes everything queued, then emits finished(0); after `timeoutMs` emits finished(rows left unwritten).
    void finish(int timeoutMs);
    /// Any thread: makes a database call the writer is blocked in fail at once, and every later one — for the
    /// engine's shutdown deadline, when this thread's event loop cannot be reached.
    void interrupt();

    static QString stateName(State state);
    /// "not_answering", "table_refuses_every_row", …: the cause as /readyz names it for tools.
    static QString causeName(Cause cause);

    /// Tries of a piece whose error has no known class (FailureClass::Unknown) before it is split like a refused one.
    static constexpr int UnknownRetriesBeforeSplit = 3;
    /// Other rows for the same table tried (and rolled back) to tell one bad row from a statement that fails for all.
    static constexpr int ProbeRows = 4;
    /// Group-commit cap in Batch::memoryBytes() (next to max_transaction_rows): a share of max_buffered_mb. A
    /// transaction of one message larger than that is still taken whole.
    static std::size_t maxTransactionBytes(const SubscriberConfig &config);

Q_SIGNALS:
    void stateChanged(const iot::BatchWriter::StateInfo &info);
    void committed(quint64 rows);
    /// At most 20 per batch (the rest are only counted); `payloadPreview`: the payload's first 64 bytes.
    void deadLettered(const QByteArray &topic, const QString &reason, qint64 receivedAtUs,
                      const QByteArray &payloadPreview);
    void finished(quint64 unwritten);
    void fatalError(const QString &message);

private:
    /// Stamps sinceUs and attempt; emits on a change of state, and on every Retrying and Blocked.
    void setState(StateInfo info);
    void reportDeadLetter(std::size_t i, const QString &reason);   // row i of m_pending: deadLettered()
    void tryOpen();
    bool loadWork(Batch &into);
    void noteHeldBytes();
    bool extendWork();
    bool syncCheckpoint();
    void prepareWork(std::uint32_t from);
    bool writeNextPiece();
    void countCommitted(const WriteSet &piece, const WriteOutcome &out);
    bool handleFailure(const WriteOutcome &out);
    void splitFront();
    bool judgeRow(const WriteOutcome &out);
    std::size_t target(std::uint32_t row) const;
    QString targetName(std::size_t target) const;
    void scheduleRetry(StateInfo why);
    void scheduleRetry(const QString &message) { scheduleRetry({.cause = failureCause(), .message = message}); }
    Cause failureCause() const { return m_sink->notAnswering() ? Cause::NotAnswering : Cause::Unavailable; }
    void checkFinished();
    quint64 pendingRows() const;
    void report(const WriteSet &piece, const WriteOutcome &out, std::int64_t startUs);

    SinkFactory m_factory;
    SubscriberConfig m_config;
    BatchQueue *m_queue;
    PipelineCounters *m_counters;
    std::unique_ptr<SqlSink> m_sink;  // set and reset under m_sinkMutex, which interrupt() takes
    std::mutex m_sinkMutex;
    bool m_interrupted = false;
    std::vector<std::shared_ptr<PipelineObserver>> m_observers;
    std::unique_ptr<Mapper> m_mapper;
    MappedBatch m_mapped;            // what the mapper made of m_pending
    int m_attempt = 1;               // tries of the piece at the head of m_pieces
    int m_unknownFailures = 0;       // of those, failures of no known class
    Bisection m_bisection;           // of the piece at the head of m_pieces, while a failed transaction is split
    Batch m_extra;                   // more queued work, taken to find rows to compare a refused row with
    PayloadCheck m_check;
    Batch m_pending;                 // taken off the queue, not yet fully committed
    std::deque<WriteSet> m_pieces;   // what of m_pending is still to write (split on data errors)
    QTimer m_retryTimer;
    QTimer m_finishTimer;
    QTimer m_heartbeat;
    std::int64_t m_lastWriteUs = 0;  // for the idle connection check
    State m_state = State::Disconnected;
    int m_failedTries = 0;           // Retrying states since the database was last connected
    bool m_everConnected = false;
    bool m_finishing = false;
    bool m_finished = false;
    bool m_failed = false;   // a fatal error (fatalError): nothing is tried any more
    bool m_drainPosted = false;
    SpoolCursor m_spool;             // checkpoint, replay and read-back (no spool: a no-op)
};

} // namespace iot

Q_DECLARE_METATYPE(iot::BatchWriter::StateInfo)
