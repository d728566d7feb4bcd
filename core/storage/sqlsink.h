// SPDX-License-Identifier: MIT
#pragma once

#include "mapping/mapper.h"
#include "pipeline/batch.h"
#include "pipeline/reasons.h"
#include "storage/failureclass.h"
#include "util/result.h"

#include <QMap>
#include <QString>

#include <cstdint>
#include <vector>

namespace iot {

/// What the mapper made of a transaction's rows: per rule the typed rows, per batch row its rule (-1: raw) and slot.
struct MappedBatch
{
    std::vector<MappedRows> perRule;
    std::vector<std::int32_t> rowRule;
    std::vector<std::uint32_t> rowSlot;

    void reset(std::size_t rules, std::size_t rows)
    {
        perRule.resize(rules);
        for (MappedRows &r : perRule)
            r.clear();
        rowRule.assign(rows, -1);
        rowSlot.assign(rows, 0);
    }
    /// Room for rows appended to the batch since reset(), keeping what was mapped.
    void grow(std::size_t rows)
    {
        rowRule.resize(rows, -1);
        rowSlot.resize(rows, 0);
    }
    bool isMapped(std::uint32_t row) const { return row < rowRule.size() && rowRule[row] >= 0; }
};

/// One transaction's worth of work: which rows of a batch go to the readings table, which to dead letters and why.
struct WriteSet
{
    struct DeadLetter
    {
        std::uint32_t row;
        QString reason;  // the text stored in the table
        Reasons::DeadLetter kind = Reasons::DeadLetter::Other;
    };
    const Batch *batch = nullptr;
    std::vector<std::uint32_t> good;
    std::vector<DeadLetter> dead;
    std::uint64_t checkpoint = 0;  // spool position to record in the same transaction (0: none)
    const MappedBatch *mapped = nullptr;  // rows of `good` with a rule go to mapped tables, the rest to readings
    bool dryRun = false;  // write everything, then roll back: does the database take these rows? (no checkpoint)
    bool bisecting = false;  // the writer's bookkeeping, ignored by sinks: a part of a failed transaction being split

    std::size_t rows() const { return good.size() + dead.size(); }
};

/// What a write came to: committed, or failed with the class of its error (FailureClass: retry the connection,
/// split for the rows' sake, or retry a few times and then split), the server's message and its error code.
struct WriteOutcome
{
    FailureClass failure = FailureClass::None;
    QString message;
    QByteArray code;               // SQLSTATE, or the SQLite result code's name; empty when the connection failed
    std::size_t deduplicated = 0;  // mapped rows skipped by a unique key (already stored)

    bool ok() const { return failure == FailureClass::None; }
    static WriteOutcome failed(FailureClass c, QString m, QByteArray code = {})
    {
        return {c, std::move(m), std::move(code), 0};
    }
    static WriteOutcome retry(QString m) { return failed(FailureClass::Connection, std::move(m)); }
};

/// Whose checkpoint row a sink reads and writes: the spool directory's id (spool/spoolid.h), not the MQTT client id.
struct CheckpointKey
{
    QString spoolId;         // empty: no spool, no checkpoint
    QString legacyClientId;  // a spool of a version before spool ids: may take over that client id's old row once
};

/// What the database holds for this spool, read at every (re)connection of the writer.
struct CheckpointClaim
{
    enum class Kind {
        Found,  // this spool's row
        None,   // no row for this spool: a new database, a new or replaced spool directory
        InUse,  // another live connection holds this spool's lock: a spool directory copied with its id
    };
    Kind kind = Kind::None;
    std::uint64_t position = 0;
    bool takenOver = false;  // Found by moving the pre-spool-id row of `legacyClientId`
};

/// A database the writer stores into; implementations own their QSqlDatabase connection and live on the writer
/// thread. Each write() is one transaction: all of a WriteSet or nothing.
class SqlSink
{
public:
    virtual ~SqlSink();

    /// Connects and creates missing tables and indexes.
    virtual Status open() = 0;
    virtual void close() = 0;
    virtual bool isOpen() const = 0;
    /// One transaction: the rows, the dead letters and, when set.checkpoint is non-zero, the spool checkpoint.
    virtual WriteOutcome write(const WriteSet &set) = 0;
    /// A cheap round trip, so an idle writer notices a lost server (and /readyz says so) before the next write.
    virtual Status ping() { return Ok{}; }
    /// Reads this spool's checkpoint and, where the database can (PostgreSQL: a session-level advisory lock on the
    /// spool id), makes sure no other live process writes the same row while this connection lasts. Only with a
    /// spool; call after every open(), before the first write.
    virtual Result<CheckpointClaim> claimCheckpoint() = 0;
    /// Whether the last open(), write(), ping() or claimCheckpoint() failed because the server did not answer in
    /// time (the sink cut the connection), rather than with an error of its own.
    virtual bool notAnswering() const { return false; }
    /// Any thread: makes a call blocked on the server (and every later one) fail at once — the engine's shutdown
    /// deadline, when the writer thread cannot be reached through its event loop.
    virtual void interrupt() {}
    /// "PostgreSQL iot@db.example:5432/iot" — for logs and the UI; never contains the password.
    virtual QString describe() const = 0;
    /// The readings table as configured (unquoted), for traces and metrics.
    virtual QString table() const = 0;

    /// `"name"` or `"schema"."name"`; config validation already restricted names to [A-Za-z0-9_].
    static QString quoteIdentifier(const QString &name);
    /// Reads an SQL resource and replaces ${key} placeholders (identifiers, already quoted by the caller).
    static QString loadSql(const QString &resource, const QMap<QString, QString> &vars);
    /// The unqualified name, for deriving index names.
    static QString baseName(const QString &name);
};

} // namespace iot
