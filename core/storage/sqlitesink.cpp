// SPDX-License-Identifier: MIT
#include "storage/sqlitesink.h"

#include "mapping/mappedwriter.h"
#include "util/timeformat.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QVariant>

#include <sqlite3.h>

#include <optional>

namespace iot {

struct SqliteSink::Private
{
    DatabaseConfig cfg;
    QString connectionName;
    QString absolutePath;
    sqlite3 *handle = nullptr;
    sqlite3_stmt *insertReading = nullptr;
    sqlite3_stmt *insertDead = nullptr;
    sqlite3_stmt *upsertCheckpoint = nullptr;
    sqlite3_stmt *selectCheckpoint = nullptr;
    QByteArray spoolId;
    QByteArray legacyClientId;
    std::unique_ptr<MappedWriter> mapped;

    void finalize()
    {
        sqlite3_finalize(insertReading);
        sqlite3_finalize(insertDead);
        sqlite3_finalize(upsertCheckpoint);
        sqlite3_finalize(selectCheckpoint);
        insertReading = insertDead = upsertCheckpoint = selectCheckpoint = nullptr;
    }
    WriteOutcome fail(const char *what, int rc)
    {
        const QString msg = QString::fromLatin1(what) + QStringLiteral(": ") + QString::fromUtf8(sqlite3_errmsg(handle));
        // No SQLSTATE here: the result code says what it can (FailureClasses::fromSqliteCode).
        return WriteOutcome::failed(FailureClasses::fromSqliteCode(rc), msg, FailureClasses::sqliteCodeName(rc));
    }
    Result<std::optional<std::uint64_t>> readPosition();
    Status takeOverLegacyRow();
    Status exec(const QByteArray &sql)
    {
        char *err = nullptr;
        if (sqlite3_exec(handle, sql.constData(), nullptr, nullptr, &err) != SQLITE_OK) {
            const QString msg = QString::fromUtf8(err ? err : sqlite3_errmsg(handle));
            sqlite3_free(err);
            return Error{msg};
        }
        return Ok{};
    }
};

SqliteSink::SqliteSink(const DatabaseConfig &config, QString connectionName, CheckpointKey key,
                       QList<MappingRule> mappings)
    : d(std::make_unique<Private>())
{
    d->mapped = std::make_unique<MappedWriter>(std::move(mappings), MappingSchema::Dialect::Sqlite);
    d->spoolId = key.spoolId.toUtf8();
    d->legacyClientId = key.legacyClientId.toUtf8();
    d->cfg = config;
    d->connectionName = std::move(connectionName);
    d->absolutePath = QFileInfo(config.path).absoluteFilePath();
}

SqliteSink::~SqliteSink()
{
    close();
    QSqlDatabase::removeDatabase(d->connectionName);
}

QString SqliteSink::describe() const
{
    return QStringLiteral("SQLite ") + d->absolutePath;
}

Status SqliteSink::open()
{
    QSqlDatabase db = QSqlDatabase::contains(d->connectionName)
        ? QSqlDatabase::database(d->connectionName, false)
        : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), d->connectionName);
    if (!db.isValid())
        return Error{QStringLiteral("the Qt SQLite driver (QSQLITE) is not installed: install libqt6sql6-sqlite")};
    QDir().mkpath(QFileInfo(d->absolutePath).absolutePath());
    db.setDatabaseName(d->absolutePath);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return Error{db.lastError().text()};
    const QVariant h = db.driver()->handle();
    if (!h.isValid() || qstrcmp(h.typeName(), "sqlite3*") != 0) {
        db.close();
        return Error{QStringLiteral("the QSQLITE driver exposes no sqlite3 handle")};
    }
    d->handle = *static_cast<sqlite3 *const *>(h.constData());

    // WAL lets readers (Grafana, the GUI, sqlite3) query while we write; synchronous=FULL makes every commit
    // durable against power loss as well as a crash — one fsync per transaction, and transactions are whole batches.
    Status st = d->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    const QString table = quoteIdentifier(d->cfg.table);
    const QString dead = quoteIdentifier(d->cfg.deadLetterTable);
    if (st) {
        const QString sql = loadSql(QStringLiteral(":/iot/sql/sqlite_schema.sql"),
                                    {{QStringLiteral("table"), table},
                                     {QStringLiteral("table_index_time"),
                                      quoteIdentifier(baseName(d->cfg.table) + QStringLiteral("_received_at_idx"))},
                                     {QStringLiteral("dead_letter_table"), dead}});
        st = d->exec(sql.toUtf8());
    }
    const QByteArray insReading = (QStringLiteral("INSERT INTO ") + table
                                   + QStringLiteral(" (received_at, topic, payload) VALUES (?1, ?2, ?3)")).toUtf8();
    const QByteArray insDead = (QStringLiteral("INSERT INTO ") + dead
                                + QStringLiteral(" (received_at, topic, payload, reason) VALUES (?1, ?2, ?3, ?4)"))
                                   .toUtf8();
    if (st && (sqlite3_prepare_v3(d->handle, insReading.constData(), -1, SQLITE_PREPARE_PERSISTENT,
                                  &d->insertReading, nullptr) != SQLITE_OK
               || sqlite3_prepare_v3(d->handle, insDead.constData(), -1, SQLITE_PREPARE_PERSISTENT,
                                     &d->insertDead, nullptr) != SQLITE_OK
               || sqlite3_prepare_v3(d->handle,
                                     "INSERT INTO iot_subscriber_spool_checkpoints (spool_id, position, updated_at) "
                                     "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT (spool_id) "
                                     "DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                                     -1, SQLITE_PREPARE_PERSISTENT, &d->upsertCheckpoint, nullptr) != SQLITE_OK
               || sqlite3_prepare_v3(d->handle, "SELECT position FROM iot_subscriber_spool_checkpoints "
                                     "WHERE spool_id = ?1",
                                     -1, SQLITE_PREPARE_PERSISTENT, &d->selectCheckpoint, nullptr) != SQLITE_OK))
        st = Error{QString::fromUtf8(sqlite3_errmsg(d->handle))};
    if (!st) {
        close();
        return Error{QStringLiteral("cannot prepare ") + d->absolutePath + QStringLiteral(": ") + st.error().message};
    }
    if (!d->mapped->isEmpty()) {
        if (Status ms = d->mapped->prepare(d->handle); !ms) {
            close();
            return ms.error();
        }
    }
    return Ok{};
}

void SqliteSink::close()
{
    d->finalize();
    d->mapped->reset();
    d->handle = nullptr;
    if (QSqlDatabase::contains(d->connectionName))
        QSqlDatabase::database(d->connectionName, false).close();
}

QString SqliteSink::table() const
{
    return d->cfg.table;
}

Result<std::optional<std::uint64_t>> SqliteSink::Private::readPosition()
{
    sqlite3_bind_text(selectCheckpoint, 1, spoolId.constData(), static_cast<int>(spoolId.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(selectCheckpoint);
    std::optional<std::uint64_t> pos;
    if (rc == SQLITE_ROW)
        pos = static_cast<std::uint64_t>(sqlite3_column_int64(selectCheckpoint, 0));
    sqlite3_reset(selectCheckpoint);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return Error{QString::fromUtf8(sqlite3_errmsg(handle))};
    return pos;
}

Status SqliteSink::Private::takeOverLegacyRow()
{
    // A spool written before spool ids: its row is keyed by the client id in the old table (if there is one).
    // Moved in one transaction, so a second legacy instance with the same client id cannot take it as well.
    sqlite3_stmt *move = nullptr;
    const char *sql = "INSERT INTO iot_subscriber_spool_checkpoints (spool_id, position) "
                      "SELECT ?1, position FROM iot_subscriber_checkpoints WHERE spool_id = ?2";
    if (sqlite3_prepare_v2(handle, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                   "name = 'iot_subscriber_checkpoints'", -1, &move, nullptr) != SQLITE_OK)
        return Error{QString::fromUtf8(sqlite3_errmsg(handle))};
    const bool exists = sqlite3_step(move) == SQLITE_ROW;
    sqlite3_finalize(move);
    if (!exists)
        return Ok{};
    Status st = exec("BEGIN IMMEDIATE");
    if (st && sqlite3_prepare_v2(handle, sql, -1, &move, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(move, 1, spoolId.constData(), int(spoolId.size()), SQLITE_STATIC);
        sqlite3_bind_text(move, 2, legacyClientId.constData(), int(legacyClientId.size()), SQLITE_STATIC);
        if (sqlite3_step(move) != SQLITE_DONE)
            st = Error{QString::fromUtf8(sqlite3_errmsg(handle))};
        sqlite3_finalize(move);
    } else if (st) {
        st = Error{QString::fromUtf8(sqlite3_errmsg(handle))};
    }
    if (st && sqlite3_prepare_v2(handle, "DELETE FROM iot_subscriber_checkpoints WHERE spool_id = ?1", -1, &move,
                                 nullptr) == SQLITE_OK) {
        sqlite3_bind_text(move, 1, legacyClientId.constData(), int(legacyClientId.size()), SQLITE_STATIC);
        if (sqlite3_step(move) != SQLITE_DONE)
            st = Error{QString::fromUtf8(sqlite3_errmsg(handle))};
        sqlite3_finalize(move);
    }
    if (st)
        st = exec("COMMIT");
    if (!st)
        exec("ROLLBACK");
    return st;
}

Result<CheckpointClaim> SqliteSink::claimCheckpoint()
{
    // No lock here: a SQLite file is shared by processes of one machine, where the spool directory's own flock
    // already keeps a second process out (a copy of the directory with its id is not detected; see the docs).
    if (!d->handle)
        return Error{QStringLiteral("not open")};
    auto pos = d->readPosition();
    CheckpointClaim claim;
    if (pos && !pos.value() && !d->legacyClientId.isEmpty()) {
        if (const Status st = d->takeOverLegacyRow(); !st)
            return st.error();
        pos = d->readPosition();
        claim.takenOver = pos && pos.value().has_value();
    }
    if (!pos)
        return pos.error();
    if (pos.value()) {
        claim.kind = CheckpointClaim::Kind::Found;
        claim.position = *pos.value();
    }
    return claim;
}

bool SqliteSink::isOpen() const
{
    return d->handle != nullptr;
}

WriteOutcome SqliteSink::write(const WriteSet &set)
{
    if (!d->handle)
        return WriteOutcome::retry(QStringLiteral("not open"));
    int rc = sqlite3_exec(d->handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        return d->fail("BEGIN", rc);

    const Batch &b = *set.batch;
    char iso[TimeFormat::IsoLength];
    WriteOutcome out;
    for (const std::uint32_t i : set.good) {
        if (set.mapped && set.mapped->isMapped(i))
            continue;  // written to its mapping's table below
        TimeFormat::isoUtc(b.receivedAtUs(i), iso);
        const QByteArrayView topic = b.topic(i);
        const QByteArrayView payload = b.payload(i);
        sqlite3_bind_text(d->insertReading, 1, iso, static_cast<int>(TimeFormat::IsoLength), SQLITE_STATIC);
        sqlite3_bind_text(d->insertReading, 2, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
        sqlite3_bind_text(d->insertReading, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        rc = sqlite3_step(d->insertReading);
        sqlite3_reset(d->insertReading);
        if (rc != SQLITE_DONE) {
            out = d->fail("INSERT", rc);
            break;
        }
    }
    if (out.ok() && !d->mapped->isEmpty())
        out = d->mapped->write(d->handle, set);
    for (std::size_t k = 0; out.ok() && k < set.dead.size(); ++k) {
        const WriteSet::DeadLetter &dl = set.dead[k];
        TimeFormat::isoUtc(b.receivedAtUs(dl.row), iso);
        const QByteArrayView topic = b.topic(dl.row);
        const QByteArrayView payload = b.payload(dl.row);
        const QByteArray reason = dl.reason.toUtf8();
        sqlite3_bind_text(d->insertDead, 1, iso, static_cast<int>(TimeFormat::IsoLength), SQLITE_STATIC);
        sqlite3_bind_text(d->insertDead, 2, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
        sqlite3_bind_blob(d->insertDead, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        sqlite3_bind_text(d->insertDead, 4, reason.constData(), static_cast<int>(reason.size()), SQLITE_STATIC);
        rc = sqlite3_step(d->insertDead);
        sqlite3_reset(d->insertDead);
        if (rc != SQLITE_DONE)
            out = d->fail("INSERT dead letter", rc);
    }
    if (out.ok() && set.checkpoint && !set.dryRun && !d->spoolId.isEmpty()) {
        sqlite3_bind_text(d->upsertCheckpoint, 1, d->spoolId.constData(), static_cast<int>(d->spoolId.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(d->upsertCheckpoint, 2, static_cast<sqlite3_int64>(set.checkpoint));
        rc = sqlite3_step(d->upsertCheckpoint);
        sqlite3_reset(d->upsertCheckpoint);
        if (rc != SQLITE_DONE)
            out = WriteOutcome::retry(QStringLiteral("checkpoint: ") + QString::fromUtf8(sqlite3_errmsg(d->handle)));
    }
    if (out.ok() && !set.dryRun) {
        rc = sqlite3_exec(d->handle, "COMMIT", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK)
            out = d->fail("COMMIT", rc);
    }
    if (!out.ok() || set.dryRun)
        sqlite3_exec(d->handle, "ROLLBACK", nullptr, nullptr, nullptr);
    return out;
}

} // namespace iot
