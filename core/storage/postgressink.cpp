// SPDX-License-Identifier: MIT
#include "storage/postgressink.h"

#include "mapping/mappedwriter.h"
#include "storage/pgcopy.h"
#include "storage/replydeadline.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

namespace iot {

using pgcopy::putBe16;
using pgcopy::putBytes;
using pgcopy::putJsonb;
using pgcopy::putTimestamp;

namespace {

// A slow server's own statement_timeout (57014, retried) should answer before we give up on hearing anything.
constexpr int ReplyMarginMs = 2000;
// Creating tables and indexes (on a populated table, an index can take a while) gets this many reply timeouts.
constexpr int SchemaReplyFactor = 6;

} // namespace

struct PostgresSink::Private
{
    DatabaseConfig cfg;
    QString connectionName;
    QString table;
    QString deadTable;
    QByteArray copyReadings;
    QByteArray copyDead;
    std::string buffer;  // reused across transactions: no allocation per write once grown
    QByteArray spoolId;
    QByteArray legacyClientId;
    std::unique_ptr<MappedWriter> mapped;
    ReplyDeadline deadline;
    bool notAnswering = false;  // the last call was cut by the deadline

    QSqlDatabase db() const { return QSqlDatabase::database(connectionName, false); }
    PGconn *conn() const
    {
        const QVariant h = db().driver()->handle();
        if (!h.isValid() || qstrcmp(h.typeName(), "pg_conn*") != 0)
            return nullptr;
        return *static_cast<PGconn *const *>(h.constData());
    }

    // The pieces of one write transaction, in order; each returns the outcome so far.
    WriteOutcome writeReadings(PGconn *c, const WriteSet &set);
    WriteOutcome writeDeadLetters(PGconn *c, const WriteSet &set);
    WriteOutcome writeCheckpoint(PGconn *c, std::uint64_t checkpoint);
    WriteOutcome exec(PGconn *c, const QByteArray &sql, const QString &what);

    /// The server's limit for each statement of a transaction of `bytes`: the reply timeout plus 1 s per MiB (a
    /// COPY streams its rows within one statement, so a link slower than 1 MiB/s needs a longer reply_timeout_sec).
    int statementMs(std::size_t bytes) const
    {
        return cfg.replyTimeoutSec * 1000 + int(std::min<std::size_t>(bytes >> 10, 3600000));
    }
    std::chrono::milliseconds replyMs(std::size_t bytes) const
    {
        return std::chrono::milliseconds(statementMs(bytes) + ReplyMarginMs);
    }
    /// Runs one round trip `f` under the deadline; a round trip it cut is a connection failure, "not answering".
    template <typename F>
    WriteOutcome guarded(const QString &what, std::size_t bytes, F &&f)
    {
        deadline.arm(replyMs(bytes));
        WriteOutcome out = f();
        deadline.disarm();
        if (!out.ok() && deadline.expired()) {
            notAnswering = true;
            out = WriteOutcome::retry(QStringLiteral("%1: no answer within %2 s")
                                          .arg(what, QString::number(double(replyMs(bytes).count()) / 1000, 'f', 1)));
        }
        return out;
    }
};

WriteOutcome PostgresSink::Private::exec(PGconn *c, const QByteArray &sql, const QString &what)
{
    PGresult *res = PQexec(c, sql.constData());
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return pgcopy::failure(c, res, what);
    PQclear(res);
    return {};
}

WriteOutcome PostgresSink::Private::writeReadings(PGconn *c, const WriteSet &set)
{
    const Batch &b = *set.batch;
    WriteOutcome out;
    std::size_t raw = 0;
    for (const std::uint32_t i : set.good)
        raw += set.mapped && set.mapped->isMapped(i) ? 0 : 1;  // mapped rows go to their mapping's table below
    pgcopy::Stream copy(buffer, QStringLiteral("COPY"));
    if (raw)
        out = copy.begin(c, copyReadings);
    if (raw && out.ok()) {
        std::string &buf = copy.buffer();
        for (const std::uint32_t i : set.good) {
            if (set.mapped && set.mapped->isMapped(i))
                continue;
            putBe16(buf, 3);
            putTimestamp(buf, b.receivedAtUs(i));
            const QByteArrayView topic = b.topic(i);
            putBytes(buf, topic.data(), static_cast<std::size_t>(topic.size()));
            putJsonb(buf, b.payload(i));
            if (!copy.rowDone(c))
                break;
        }
        out = copy.end(c);
    }
    if (out.ok() && !mapped->isEmpty())
        out = mapped->write(c, set);
    return out;
}

WriteOutcome PostgresSink::Private::writeDeadLetters(PGconn *c, const WriteSet &set)
{
    const Batch &b = *set.batch;
    pgcopy::Stream deadCopy(buffer, QStringLiteral("COPY"));
    WriteOutcome out = deadCopy.begin(c, copyDead);
    if (!out.ok())
        return out;
    // Few and rare: one chunk.
    std::string &buf = deadCopy.buffer();
    for (const WriteSet::DeadLetter &dl : set.dead) {
        putBe16(buf, 4);
        putTimestamp(buf, b.receivedAtUs(dl.row));
        const QByteArrayView topic = b.topic(dl.row);
        putBytes(buf, topic.data(), static_cast<std::size_t>(topic.size()));
        const QByteArrayView payload = b.payload(dl.row);
        putBytes(buf, payload.data(), static_cast<std::size_t>(payload.size()));
        const QByteArray reason = dl.reason.toUtf8();
        putBytes(buf, reason.constData(), static_cast<std::size_t>(reason.size()));
    }
    return deadCopy.end(c);
}

WriteOutcome PostgresSink::Private::writeCheckpoint(PGconn *c, std::uint64_t checkpoint)
{
    const QByteArray pos = QByteArray::number(static_cast<qulonglong>(checkpoint));
    const char *params[2] = {spoolId.constData(), pos.constData()};
    PGresult *res = PQexecParams(c,
                                 "INSERT INTO iot_subscriber_spool_checkpoints (spool_id, position, updated_at) "
                                 "VALUES ($1, $2, now()) ON CONFLICT (spool_id) DO UPDATE "
                                 "SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at",
                                 2, nullptr, params, nullptr, nullptr, 0);
    WriteOutcome out;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        out = pgcopy::failure(c, res, QStringLiteral("checkpoint"));
    else
        PQclear(res);
    // A checkpoint failure is never the rows' fault: retry, do not split.
    if (!out.ok())
        out.failure = FailureClass::Connection;
    return out;
}

PostgresSink::PostgresSink(const DatabaseConfig &config, QString connectionName, CheckpointKey key,
                           QList<MappingRule> mappings)
    : d(std::make_unique<Private>())
{
    d->mapped = std::make_unique<MappedWriter>(std::move(mappings), MappingSchema::Dialect::Postgres);
    d->spoolId = key.spoolId.toUtf8();
    d->legacyClientId = key.legacyClientId.toUtf8();
    d->cfg = config;
    d->connectionName = std::move(connectionName);
    d->table = quoteIdentifier(config.table);
    d->deadTable = quoteIdentifier(config.deadLetterTable);
    d->copyReadings = (QStringLiteral("COPY ") + d->table
                       + QStringLiteral(" (received_at, topic, payload) FROM STDIN (FORMAT binary)")).toUtf8();
    d->copyDead = (QStringLiteral("COPY ") + d->deadTable
                   + QStringLiteral(" (received_at, topic, payload, reason) FROM STDIN (FORMAT binary)")).toUtf8();
}

PostgresSink::~PostgresSink()
{
    close();
    QSqlDatabase::removeDatabase(d->connectionName);
}

QString PostgresSink::describe() const
{
    return QStringLiteral("PostgreSQL %1@%2:%3/%4").arg(d->cfg.user, d->cfg.host).arg(d->cfg.port).arg(d->cfg.name);
}

Status PostgresSink::open()
{
    QSqlDatabase db = QSqlDatabase::contains(d->connectionName)
        ? QSqlDatabase::database(d->connectionName, false)
        : QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), d->connectionName);
    if (!db.isValid())
        return Error{QStringLiteral("the Qt PostgreSQL driver (QPSQL) is not installed: install libqt6sql6-psql")};
    db.setHostName(d->cfg.host);
    db.setPort(d->cfg.port);
    db.setDatabaseName(d->cfg.name);
    db.setUserName(d->cfg.user);
    db.setPassword(d->cfg.password);
    // A TLS file that is missing or unreadable is the configuration's fault, and no retry brings it back: say
    // which one and stop (exit 2). What libpq refuses later (a certificate the CA does not sign, a host name the
    // certificate does not name) comes back as its own words and is retried: the server's certificate can be
    // replaced without touching ours.
    for (const auto &[key, path] : {std::pair{"sslrootcert", d->cfg.sslRootCert}, std::pair{"sslcert", d->cfg.sslCert},
                                    std::pair{"sslkey", d->cfg.sslKey}}) {
        const QFileInfo fi(path);
        if (!path.isEmpty() && (!fi.isFile() || !fi.isReadable()))
            return Error{QStringLiteral("database.%1: %2 %3")
                             .arg(QLatin1String(key), path,
                                  fi.exists() ? QStringLiteral("is not a readable file") : QStringLiteral("does not exist")),
                         true};
    }
    db.setConnectOptions(connectOptions(d->cfg));
    d->notAnswering = false;
    QElapsedTimer connecting;
    connecting.start();
    if (!db.open()) {
        // libpq gave up after connect_timeout: a server that took the connection and then said nothing.
        d->notAnswering = connecting.elapsed() >= d->cfg.connectTimeoutSec * 1000 - 100;
        return Error{db.lastError().text()};
    }
    if (!d->conn()) {
        db.close();
        return Error{QStringLiteral("the QPSQL driver exposes no libpq handle")};
    }
    d->deadline.setSocket(PQsocket(d->conn()));
    const QString sql = loadSql(QStringLiteral(":/iot/sql/postgres_schema.sql"),
                                {{QStringLiteral("table"), d->table},
                                 {QStringLiteral("table_index_time"),
                                  quoteIdentifier(baseName(d->cfg.table) + QStringLiteral("_received_at_idx"))},
                                 {QStringLiteral("dead_letter_table"), d->deadTable}});
    // PQexec runs the whole script (several statements) in one implicit transaction. The advisory lock, held to its
    // end, serialises instances that start together against a fresh database (scale-out): concurrent
    // CREATE TABLE IF NOT EXISTS of the same table fails in one of them with a unique violation in pg_type, which
    // cost that instance an error_retry_delay_sec wait with its messages piling up.
    const QByteArray script = QByteArrayLiteral("SELECT pg_advisory_xact_lock(hashtext('iot-subscriber schema'));\n")
        + sql.toUtf8();
    d->deadline.arm(d->replyMs(0) * SchemaReplyFactor);
    PGresult *res = PQexec(d->conn(), script.constData());
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    const QString err = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
    PQclear(res);
    std::optional<Error> problem;
    if (!ok)
        problem = Error{QStringLiteral("cannot create tables: ") + err};
    else if (!d->mapped->isEmpty())
        if (const Status st = d->mapped->prepare(d->conn()); !st)
            problem = st.error();
    d->deadline.disarm();
    if (problem && d->deadline.expired()) {
        d->notAnswering = true;
        problem = Error{QStringLiteral("creating tables: no answer within %1 s")
                            .arg((d->replyMs(0) * SchemaReplyFactor).count() / 1000)};
    }
    if (!problem)
        return Ok{};
    close();
    return *problem;
}

QString PostgresSink::connectOptions(const DatabaseConfig &config)
{
    // libpq's conninfo quoting: in single quotes, backslash and quote escaped. Qt joins the options with ';'.
    const auto quoted = [](QString v) -> QString {
        v.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('\''), QLatin1String("\\'"));
        return QLatin1Char('\'') + v + QLatin1Char('\'');
    };
    QStringList o{QStringLiteral("connect_timeout=%1").arg(config.connectTimeoutSec),
                  QStringLiteral("sslmode=") + config.sslmode};
    for (const auto &[key, value] : {std::pair{"sslrootcert", config.sslRootCert}, std::pair{"sslcert", config.sslCert},
                                     std::pair{"sslkey", config.sslKey}}) {
        if (!value.isEmpty())
            o << QLatin1String(key) + QLatin1Char('=') + quoted(value);
    }
    o << QStringLiteral("application_name=iot-subscriber");
    // A host that vanishes (no RST) is noticed by the kernel: idle connections by keepalive probes (~11 s), unanswered
    // sends after tcp_user_timeout. Behind a proxy that still ACKs, only the writer's own deadline notices.
    o << QStringLiteral("keepalives=1") << QStringLiteral("keepalives_idle=5") << QStringLiteral("keepalives_interval=2")
      << QStringLiteral("keepalives_count=3") << QStringLiteral("tcp_user_timeout=%1").arg((config.replyTimeoutSec + 2) * 1000);
    return o.join(QLatin1Char(';'));
}

void PostgresSink::close()
{
    d->deadline.setSocket(-1);  // before libpq closes it and the number can name another file
    if (QSqlDatabase::contains(d->connectionName))
        QSqlDatabase::database(d->connectionName, false).close();
}

QString PostgresSink::table() const
{
    return d->cfg.table;
}

bool PostgresSink::isOpen() const
{
    return QSqlDatabase::contains(d->connectionName) && d->db().isOpen();
}

Status PostgresSink::ping()
{
    d->notAnswering = false;
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c)
        return Error{QStringLiteral("not connected")};
    const WriteOutcome out = d->guarded(QStringLiteral("SELECT 1"), 0, [&] {
        PGresult *res = PQexec(c, "SELECT 1");
        const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        const QString err = ok ? QString() : QString::fromUtf8(PQerrorMessage(c)).trimmed();
        PQclear(res);
        return ok ? WriteOutcome{} : WriteOutcome::retry(err.isEmpty() ? QStringLiteral("connection lost") : err);
    });
    if (!out.ok())
        return Error{out.message};
    return Ok{};
}

namespace {

/// Runs one statement with text parameters and returns its first value ("" for no row), or the server's error.
Result<QByteArray> scalar(PGconn *c, const char *sql, std::initializer_list<const char *> params)
{
    PGresult *res = PQexecParams(c, sql, int(params.size()), nullptr, params.begin(), nullptr, nullptr, 0);
    const ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        const QString msg = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
        PQclear(res);
        return Error{msg};
    }
    QByteArray v = st == PGRES_TUPLES_OK && PQntuples(res) > 0 ? QByteArray(PQgetvalue(res, 0, 0)) : QByteArray();
    PQclear(res);
    return v;
}

} // namespace

Result<CheckpointClaim> PostgresSink::claimCheckpoint()
{
    d->notAnswering = false;
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return Error{QStringLiteral("not connected")};
    CheckpointClaim claim;
    const WriteOutcome out = d->guarded(QStringLiteral("checkpoint"), 0, [&]() -> WriteOutcome {
        // Session level, on the writer's own connection: held while this connection lives, released by the server
        // when the process dies (kill -9, power loss), so a crashed instance never blocks its successor.
        const QByteArray lockKey = "iot-subscriber spool " + d->spoolId;
        const auto locked = scalar(c, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {lockKey.constData()});
        if (!locked)
            return WriteOutcome::retry(locked.error().message);
        if (locked.value() != "t") {
            claim.kind = CheckpointClaim::Kind::InUse;
            return WriteOutcome{};
        }
        // FOR SHARE waits for a transaction of ours that is still open on the server — one whose connection we cut
        // while the network held its COMMIT back — so the position read is what that transaction leaves behind.
        // The server ends it by its statement and idle-in-transaction timeouts (set in write()) if nothing else does.
        auto pos = scalar(c, "SELECT position FROM iot_subscriber_spool_checkpoints WHERE spool_id = $1 FOR SHARE",
                          {d->spoolId.constData()});
        if (pos && pos.value().isEmpty() && !d->legacyClientId.isEmpty()) {
            // A spool written before spool ids: its row is keyed by the client id in the old table. Moved, not
            // copied, in one statement: a second legacy instance with the same client id cannot take it as well.
            const auto oldTable = scalar(c, "SELECT to_regclass('iot_subscriber_checkpoints') IS NOT NULL", {});
            if (!oldTable)
                return WriteOutcome::retry(oldTable.error().message);
            if (oldTable.value() == "t") {
                pos = scalar(c,
                             "WITH old AS (DELETE FROM iot_subscriber_checkpoints WHERE spool_id = $2 RETURNING position) "
                             "INSERT INTO iot_subscriber_spool_checkpoints (spool_id, position) "
                             "SELECT $1, position FROM old RETURNING position",
                             {d->spoolId.constData(), d->legacyClientId.constData()});
                claim.takenOver = pos && !pos.value().isEmpty();
            }
        }
        if (!pos)
            return WriteOutcome::retry(pos.error().message);
        if (!pos.value().isEmpty()) {
            claim.kind = CheckpointClaim::Kind::Found;
            claim.position = pos.value().toULongLong();
        }
        return WriteOutcome{};
    });
    if (!out.ok())
        return Error{out.message};
    return claim;
}

bool PostgresSink::notAnswering() const
{
    return d->notAnswering;
}

void PostgresSink::interrupt()
{
    d->deadline.interrupt();
}

WriteOutcome PostgresSink::write(const WriteSet &set)
{
    d->notAnswering = false;
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return WriteOutcome::retry(QStringLiteral("not connected"));
    // Each statement below is one round trip under the writer's deadline. The server gets limits of the same size:
    // a transaction whose connection we cut (say, its COMMIT held back by the network) must not stay open for long,
    // holding the checkpoint row that the reconnected writer reads.
    const std::size_t bytes = set.batch->bytes();
    const QByteArray limit = QByteArray::number(d->statementMs(bytes));
    const QByteArray begin = "BEGIN; SET LOCAL statement_timeout = " + limit
        + "; SET LOCAL idle_in_transaction_session_timeout = " + limit;
    WriteOutcome out = d->guarded(QStringLiteral("BEGIN"), 0, [&] { return d->exec(c, begin, QStringLiteral("BEGIN")); });
    if (!out.ok())
        return out;
    if (!set.good.empty())
        out = d->guarded(QStringLiteral("COPY"), bytes, [&] { return d->writeReadings(c, set); });
    const std::size_t deduplicated = out.deduplicated;
    if (out.ok() && !set.dead.empty())
        out = d->guarded(QStringLiteral("COPY dead letters"), bytes, [&] { return d->writeDeadLetters(c, set); });
    if (out.ok() && set.checkpoint && !set.dryRun && !d->spoolId.isEmpty())
        out = d->guarded(QStringLiteral("checkpoint"), 0, [&] { return d->writeCheckpoint(c, set.checkpoint); });
    if (!out.ok() || set.dryRun) {
        if (!d->notAnswering)  // a cut connection has nothing to roll back
            d->guarded(QStringLiteral("ROLLBACK"), 0, [&] { return d->exec(c, "ROLLBACK", QStringLiteral("ROLLBACK")); });
        d->mapped->reset();  // staging tables created in this transaction are gone with it
        return out;
    }
    // Whatever COMMIT's error, the rows are retried: if it did commit after all (its reply lost), the checkpoint
    // read at the reconnect drops them.
    const WriteOutcome commit =
        d->guarded(QStringLiteral("COMMIT"), bytes, [&] { return d->exec(c, "COMMIT", QStringLiteral("COMMIT")); });
    if (!commit.ok())
        return WriteOutcome::retry(commit.message);
    out.deduplicated = deduplicated;
    return out;
}

} // namespace iot
