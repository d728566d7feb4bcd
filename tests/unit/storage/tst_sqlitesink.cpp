// SPDX-License-Identifier: MIT
// SqliteSink on a temporary file, no server: one transaction holds the rows, the dead letters and the spool
// checkpoint; a row the database refuses (a trigger) rolls the whole transaction back with a classed error; a dry
// run stores nothing; a new connection finds the tables and the checkpoint again. Checked with sqlite3 directly.
#include "fakemessagesource.h"
#include "storage/sqlitesink.h"

#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <memory>

using namespace iot;
using iot::test::FakeMessageSource;

namespace {

/// One value from the file, read through a connection of its own.
QString scalar(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    QString out;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(st, 0)));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

bool exec(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    bool ok = sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK
        && sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

Batch numbered(int first, int last)
{
    Batch b;
    for (int seq = first; seq <= last; ++seq)
        b.append("s/1", FakeMessageSource::payload(seq), 1'700'000'000'000'000 + seq, std::uint64_t(seq) * 100);
    return b;
}

WriteSet allGood(const Batch &b)
{
    WriteSet set;
    set.batch = &b;
    for (std::uint32_t i = 0; i < b.size(); ++i)
        set.good.push_back(i);
    set.checkpoint = b.lastSpoolEnd();
    return set;
}

std::unique_ptr<SqliteSink> sinkOn(const QString &path, const QString &legacyClientId = {})
{
    DatabaseConfig cfg;
    cfg.path = path;
    return std::make_unique<SqliteSink>(cfg, QStringLiteral("tst-sqlitesink"),
                                        CheckpointKey{QStringLiteral("spool-1"), legacyClientId});
}

/// The checkpoint position, 0 for no row (and no row is not Found).
std::uint64_t position(SqlSink &sink)
{
    const Result<CheckpointClaim> c = sink.claimCheckpoint();
    if (!c)
        return ~std::uint64_t(0);
    return c.value().kind == CheckpointClaim::Kind::Found ? c.value().position : 0;
}

} // namespace

class TstSqliteSink final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesRowsDeadLettersAndCheckpointTogether();
    void refusedRowRollsTheTransactionBack();
    void dryRunStoresNothing();
    void reopenFindsTablesAndCheckpoint();
    void writeBeforeOpenIsAConnectionFailure();
    void legacyRowIsTakenOverOnlyByItsLegacySpool();
};

void TstSqliteSink::writesRowsDeadLettersAndCheckpointTogether()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("r.sqlite"));
    auto sink = sinkOn(path);
    QVERIFY(sink->open());
    QVERIFY(sink->isOpen());
    QCOMPARE(position(*sink), std::uint64_t(0));
    const Batch b = numbered(1, 10);
    WriteSet set = allGood(b);
    set.good.resize(8);
    set.dead = {{8, QStringLiteral("invalid JSON: x"), Reasons::DeadLetter::InvalidJson},
                {9, QStringLiteral("too large"), Reasons::DeadLetter::TooLarge}};
    const WriteOutcome out = sink->write(set);
    QVERIFY2(out.ok(), qPrintable(out.message));
    QCOMPARE(scalar(path, "SELECT count(*) FROM readings"), QStringLiteral("8"));
    QCOMPARE(scalar(path, "SELECT count(*) FROM dead_letters"), QStringLiteral("2"));
    QCOMPARE(scalar(path, "SELECT reason FROM dead_letters ORDER BY id LIMIT 1"), QStringLiteral("invalid JSON: x"));
    QCOMPARE(scalar(path, "SELECT payload FROM readings ORDER BY rowid LIMIT 1"),
             QString::fromLatin1(FakeMessageSource::payload(1)));
    QCOMPARE(scalar(path, "SELECT received_at FROM readings ORDER BY rowid LIMIT 1"),
             QStringLiteral("2023-11-14T22:13:20.000001Z"));
    QCOMPARE(position(*sink), std::uint64_t(1000));
    QCOMPARE(scalar(path, "SELECT position FROM iot_subscriber_spool_checkpoints WHERE spool_id = 'spool-1'"),
             QStringLiteral("1000"));
}

void TstSqliteSink::refusedRowRollsTheTransactionBack()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("r.sqlite"));
    auto sink = sinkOn(path);
    QVERIFY(sink->open());
    QVERIFY(exec(path, "CREATE TRIGGER refuse_5 BEFORE INSERT ON readings WHEN json_extract(NEW.payload, '$.seq') = 5 "
                       "BEGIN SELECT RAISE(ABORT, 'seq 5 refused'); END"));
    const Batch b = numbered(1, 10);
    WriteSet set = allGood(b);
    const WriteOutcome out = sink->write(set);
    QVERIFY(!out.ok());
    QCOMPARE(out.failure, FailureClass::Rows);
    QCOMPARE(out.code, QByteArrayLiteral("SQLITE_CONSTRAINT"));
    QVERIFY2(out.message.contains(QStringLiteral("seq 5 refused")), qPrintable(out.message));
    // All or nothing: no row, no checkpoint.
    QCOMPARE(scalar(path, "SELECT count(*) FROM readings"), QStringLiteral("0"));
    QCOMPARE(position(*sink), std::uint64_t(0));
    // The same connection goes on: without row 5 (index 4) the transaction commits.
    set.good.erase(set.good.begin() + 4);
    QVERIFY(sink->write(set).ok());
    QCOMPARE(scalar(path, "SELECT count(*) FROM readings"), QStringLiteral("9"));
}

void TstSqliteSink::dryRunStoresNothing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("r.sqlite"));
    auto sink = sinkOn(path);
    QVERIFY(sink->open());
    const Batch b = numbered(1, 3);
    WriteSet set = allGood(b);
    set.dryRun = true;
    QVERIFY(sink->write(set).ok());
    QCOMPARE(scalar(path, "SELECT count(*) FROM readings"), QStringLiteral("0"));
    QCOMPARE(position(*sink), std::uint64_t(0));
}

void TstSqliteSink::reopenFindsTablesAndCheckpoint()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/r.sqlite"));  // the directory is made on open
    {
        auto sink = sinkOn(path);
        QVERIFY(sink->open());
        const Batch b = numbered(1, 5);
        QVERIFY(sink->write(allGood(b)).ok());
        sink->close();
        QVERIFY(!sink->isOpen());
        QVERIFY(sink->open());  // the same sink reconnects, as after a retry
        QCOMPARE(position(*sink), std::uint64_t(500));
    }
    auto sink = sinkOn(path);
    QVERIFY(sink->describe().startsWith(QStringLiteral("SQLite ")));
    QVERIFY(sink->describe().endsWith(QStringLiteral("r.sqlite")));
    QVERIFY(sink->open());
    QCOMPARE(position(*sink), std::uint64_t(500));
    const Batch b = numbered(6, 8);
    QVERIFY(sink->write(allGood(b)).ok());
    QCOMPARE(scalar(path, "SELECT count(*) FROM readings"), QStringLiteral("8"));
    QCOMPARE(position(*sink), std::uint64_t(800));
}

void TstSqliteSink::writeBeforeOpenIsAConnectionFailure()
{
    QTemporaryDir dir;
    auto sink = sinkOn(dir.filePath(QStringLiteral("r.sqlite")));
    const Batch b = numbered(1, 1);
    const WriteOutcome out = sink->write(allGood(b));
    QCOMPARE(out.failure, FailureClass::Connection);
    QVERIFY(!sink->claimCheckpoint());
}

void TstSqliteSink::legacyRowIsTakenOverOnlyByItsLegacySpool()
{
    // A database of a version before spool ids: its checkpoint row is keyed by the client id.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("r.sqlite"));
    {
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db,
                              "CREATE TABLE iot_subscriber_checkpoints (spool_id TEXT PRIMARY KEY, position INTEGER "
                              "NOT NULL, updated_at TEXT); INSERT INTO iot_subscriber_checkpoints VALUES "
                              "('iot-subscriber-lab1', 700, ''), ('iot-subscriber-lab2', 900, '')",
                              nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
    }
    // A new spool (no legacy client id offered) never takes an old row: no checkpoint.
    {
        auto fresh = sinkOn(path);
        QVERIFY(fresh->open());
        QCOMPARE(fresh->claimCheckpoint().value().kind, CheckpointClaim::Kind::None);
    }
    // The legacy spool of lab1 moves its row: found, marked as taken over, gone from the old table.
    auto legacy = sinkOn(path, QStringLiteral("iot-subscriber-lab1"));
    QVERIFY(legacy->open());
    const CheckpointClaim c = legacy->claimCheckpoint().value();
    QCOMPARE(c.kind, CheckpointClaim::Kind::Found);
    QCOMPARE(c.position, std::uint64_t(700));
    QVERIFY(c.takenOver);
    QCOMPARE(scalar(path, "SELECT count(*) FROM iot_subscriber_checkpoints"), QStringLiteral("1"));
    QCOMPARE(scalar(path, "SELECT position FROM iot_subscriber_spool_checkpoints WHERE spool_id = 'spool-1'"),
             QStringLiteral("700"));
    // Claimed again (a reconnection): its own row now, not a second take-over.
    const CheckpointClaim again = legacy->claimCheckpoint().value();
    QCOMPARE(again.position, std::uint64_t(700));
    QVERIFY(!again.takenOver);
}

QTEST_GUILESS_MAIN(TstSqliteSink)
#include "tst_sqlitesink.moc"
