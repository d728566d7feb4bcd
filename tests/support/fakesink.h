// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/reasons.h"
#include "storage/sqlsink.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace iot::test {

/// A database without a server, for the writer's unit tests: what was committed (rows, dead letters, the spool
/// checkpoint, each transaction's size) and faults on cue — refuse rows carrying a marker with a given SQLSTATE, fail
/// the next N opens or writes, lose the reply of a commit that happened, hang until released. Shared by the test
/// thread (scripts and reads) and the writer thread (FakeSink writes); every member takes the lock.
class FakeDatabase final
{
public:
    struct Row
    {
        QByteArray topic;
        QByteArray payload;
        std::int64_t receivedAtUs = 0;
    };
    struct DeadRow
    {
        QByteArray topic;
        QByteArray payload;
        QString reason;
        Reasons::DeadLetter kind = Reasons::DeadLetter::Other;
    };

    /// Rows whose payload contains `marker` are refused with `sqlstate`, classed as `failure`.
    void refuseRowsContaining(QByteArray marker, QByteArray sqlstate, FailureClass failure = FailureClass::Rows);
    /// Every row is refused (a dropped permission, a trigger refusing all) while on.
    void refuseEveryRow(bool on, QByteArray sqlstate = "42501", FailureClass failure = FailureClass::Unknown);
    /// The next `n` opens fail (the server is down), or fail for good with a fatal error (`fatal`).
    void failOpens(int n, bool fatal = false);
    /// The next `n` writes (dry runs included) fail before anything is stored.
    void failWrites(int n, FailureClass failure = FailureClass::Connection, QByteArray code = {});
    /// The next commit happens, but its reply is lost with the connection: the writer sees a connection failure.
    void loseNextCommitReply();
    /// Another writer puts `position` into this spool's checkpoint row behind our back (what a clone with the same
    /// key did before spool ids and locks).
    void overwriteCheckpoint(std::uint64_t position);
    /// While held, claims answer InUse: another live process holds this spool's lock.
    void holdSpoolLock(bool held);
    /// While hung, open() and write() block (as a server that stopped answering does) until hang(false), or until
    /// the blocked connection is interrupted (SqlSink::interrupt), which fails the call as a cut connection does.
    void hang(bool on);

    std::vector<QByteArray> payloads() const;
    /// The seq numbers of the stored rows (FakeMessageSource payloads), in commit order.
    QList<int> storedSeqs() const;
    std::vector<Row> rows() const;
    std::vector<DeadRow> deadLetters() const;
    /// Rows (readings + dead letters) of each committed transaction, in commit order.
    std::vector<std::size_t> transactions() const;
    std::uint64_t checkpoint() const;
    int opens() const;
    int writes() const;
    int dryRuns() const;
    /// Whether a write was blocked in hang() when asked.
    bool isHanging() const;

    /// A SinkFactory for BatchWriter and Engine: each call a new connection to this database.
    std::function<std::unique_ptr<SqlSink>()> factory(std::shared_ptr<FakeDatabase> self) const;

private:
    friend class FakeSink;
    Status open(const std::atomic<bool> &interrupted);
    WriteOutcome write(const WriteSet &set, const std::atomic<bool> &interrupted);
    /// False when `interrupted` ended the wait.
    bool waitWhileHung(std::unique_lock<std::mutex> &lock, const std::atomic<bool> &interrupted);
    void wakeWaiters();
    CheckpointClaim claim() const;
    WriteOutcome refusal(const WriteSet &set) const;
    template <typename T>
    T locked(const T &member) const
    {
        const std::lock_guard lock(m_mutex);
        return member;
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_released;
    QByteArray m_marker;
    QByteArray m_markerCode;
    FailureClass m_markerFailure = FailureClass::Rows;
    bool m_refuseAll = false;
    QByteArray m_refuseAllCode;
    FailureClass m_refuseAllFailure = FailureClass::Unknown;
    int m_failOpens = 0;
    bool m_fatalOpen = false;
    int m_failWrites = 0;
    FailureClass m_writeFailure = FailureClass::Connection;
    QByteArray m_writeFailureCode;
    bool m_loseReply = false;
    bool m_hung = false;
    bool m_lockHeld = false;
    bool m_waiting = false;
    std::vector<Row> m_rows;
    std::vector<DeadRow> m_dead;
    std::vector<std::size_t> m_transactions;
    std::uint64_t m_checkpoint = 0;
    int m_opens = 0;
    int m_writes = 0;
    int m_dryRuns = 0;
};

/// One connection to a FakeDatabase, as the writer thread owns a PostgresSink or SqliteSink.
class FakeSink final : public SqlSink
{
public:
    explicit FakeSink(std::shared_ptr<FakeDatabase> db) : m_db(std::move(db)) {}

    Status open() override;
    void close() override { m_open = false; }
    bool isOpen() const override { return m_open; }
    WriteOutcome write(const WriteSet &set) override;
    Result<CheckpointClaim> claimCheckpoint() override;
    void interrupt() override;
    QString describe() const override { return QStringLiteral("fake database"); }
    QString table() const override { return QStringLiteral("readings"); }

private:
    std::shared_ptr<FakeDatabase> m_db;
    bool m_open = false;
    std::atomic<bool> m_interrupted{false};
};

} // namespace iot::test
