// SPDX-License-Identifier: MIT
#include "postgressink.h"

#include "log.h"
#include "mappedwriter.h"
#include "timeformat.h"

#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace iot {
namespace {

// Binary COPY framing (PostgreSQL docs, "COPY — Binary Format"): signature, flags, header extension length.
constexpr char CopySignature[] = "PGCOPY\n\377\r\n\0";
constexpr std::size_t CopySignatureSize = 11;

void putBe16(std::string &b, std::uint16_t v)
{
    const char c[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    b.append(c, 2);
}

void putBe32(std::string &b, std::uint32_t v)
{
    const char c[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    b.append(c, 4);
}

void putBe64(std::string &b, std::uint64_t v)
{
    putBe32(b, static_cast<std::uint32_t>(v >> 32));
    putBe32(b, static_cast<std::uint32_t>(v));
}

void putHeader(std::string &b)
{
    b.append(CopySignature, CopySignatureSize);
    putBe32(b, 0);  // flags
    putBe32(b, 0);  // header extension length
}

void putTimestamp(std::string &b, std::int64_t epochUs)
{
    putBe32(b, 8);
    putBe64(b, static_cast<std::uint64_t>(epochUs - TimeFormat::PgEpochOffsetUs));
}

void putBytes(std::string &b, const char *data, std::size_t n)
{
    putBe32(b, static_cast<std::uint32_t>(n));
    b.append(data, n);
}

void putJsonb(std::string &b, QByteArrayView json)
{
    putBe32(b, static_cast<std::uint32_t>(json.size() + 1));
    b.push_back('\1');  // jsonb binary format version
    b.append(json.data(), static_cast<std::size_t>(json.size()));
}

// SQLSTATE classes 22 (data exception) and 23 (integrity constraint) blame the rows; anything else the server,
// the connection or the schema, which a reconnect (and re-created tables) may fix.
bool isDataError(const char *sqlstate)
{
    return sqlstate && (std::strncmp(sqlstate, "22", 2) == 0 || std::strncmp(sqlstate, "23", 2) == 0);
}

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
    std::unique_ptr<MappedWriter> mapped;
    std::shared_ptr<spdlog::logger> log = log::get("db");

    QSqlDatabase db() const { return QSqlDatabase::database(connectionName, false); }
    PGconn *conn() const
    {
        const QVariant h = db().driver()->handle();
        if (!h.isValid() || qstrcmp(h.typeName(), "pg_conn*") != 0)
            return nullptr;
        return *static_cast<PGconn *const *>(h.constData());
    }
    // COPY streams the rows in chunks of this size: the encoding buffer (and libpq's send buffer, which holds a
    // whole CopyData message) stay small however large the transaction, and the server parses while we encode.
    static constexpr std::size_t CopyChunkBytes = 256 * 1024;
    WriteOutcome beginCopy(PGconn *c, const QByteArray &command);
    bool sendChunk(PGconn *c);
    WriteOutcome endCopy(PGconn *c, bool sent);
    WriteOutcome failure(PGconn *c, PGresult *res, const char *what);
};

PostgresSink::PostgresSink(const DatabaseConfig &config, QString connectionName, QString spoolId,
                           QList<MappingRule> mappings)
    : d(std::make_unique<Private>())
{
    d->mapped = std::make_unique<MappedWriter>(std::move(mappings), MappingSchema::Dialect::Postgres);
    d->spoolId = spoolId.toUtf8();
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
    db.setConnectOptions(QStringLiteral("connect_timeout=%1;sslmode=%2;application_name=iot-subscriber")
                             .arg(d->cfg.connectTimeoutSec)
                             .arg(d->cfg.sslmode));
    if (!db.open())
        return Error{db.lastError().text()};
    if (!d->conn()) {
        db.close();
        return Error{QStringLiteral("the QPSQL driver exposes no libpq handle")};
    }
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
    PGresult *res = PQexec(d->conn(), script.constData());
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    const QString err = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
    PQclear(res);
    if (!ok) {
        db.close();
        return Error{QStringLiteral("cannot create tables: ") + err};
    }
    if (!d->mapped->isEmpty()) {
        if (Status st = d->mapped->prepare(d->conn()); !st) {
            db.close();
            return st.error();
        }
    }
    return Ok{};
}

void PostgresSink::close()
{
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
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c)
        return Error{QStringLiteral("not connected")};
    PGresult *res = PQexec(c, "SELECT 1");
    const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    const QString err = ok ? QString() : QString::fromUtf8(PQerrorMessage(c)).trimmed();
    PQclear(res);
    if (!ok)
        return Error{err.isEmpty() ? QStringLiteral("connection lost") : err};
    return Ok{};
}

Result<std::uint64_t> PostgresSink::readCheckpoint()
{
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return Error{QStringLiteral("not connected")};
    const char *params[1] = {d->spoolId.constData()};
    PGresult *res = PQexecParams(c, "SELECT position FROM iot_subscriber_checkpoints WHERE spool_id = $1", 1, nullptr,
                                 params, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const QString msg = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
        PQclear(res);
        return Error{msg};
    }
    const std::uint64_t pos = PQntuples(res) > 0 ? std::strtoull(PQgetvalue(res, 0, 0), nullptr, 10) : 0;
    PQclear(res);
    return pos;
}

WriteOutcome PostgresSink::Private::failure(PGconn *c, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    QString msg = QString::fromUtf8(res ? PQresultErrorMessage(res) : PQerrorMessage(c)).trimmed();
    if (msg.isEmpty())
        msg = QString::fromUtf8(PQerrorMessage(c)).trimmed();
    msg = QString::fromLatin1(what) + QStringLiteral(": ") + msg;
    const bool data = isDataError(state) && PQstatus(c) == CONNECTION_OK;
    if (res)
        PQclear(res);
    return data ? WriteOutcome::dataError(msg) : WriteOutcome::retry(msg);
}

WriteOutcome PostgresSink::Private::beginCopy(PGconn *c, const QByteArray &command)
{
    PGresult *res = PQexec(c, command.constData());
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return failure(c, res, "COPY");
    PQclear(res);
    buffer.clear();
    putHeader(buffer);
    return {};
}

bool PostgresSink::Private::sendChunk(PGconn *c)
{
    const bool ok = buffer.empty() || PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size())) == 1;
    buffer.clear();
    return ok;
}

WriteOutcome PostgresSink::Private::endCopy(PGconn *c, bool sent)
{
    // A chunk can be refused because the server already rejected an earlier one: its error result, fetched below,
    // then says whether the rows are at fault (split them) or the connection (retry).
    if (sent) {
        putBe16(buffer, 0xFFFF);  // trailer
        sent = sendChunk(c) && PQputCopyEnd(c, nullptr) == 1;
    } else {
        PQputCopyEnd(c, "chunk not sent");
    }
    WriteOutcome out;
    PGresult *res;
    while ((res = PQgetResult(c)) != nullptr) {
        const ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_COPY_IN && out.kind == WriteOutcome::Kind::Ok) {
            out = failure(c, res, "COPY");
            continue;
        }
        PQclear(res);
        if (st == PGRES_COPY_IN)
            break;  // still in COPY after a failed end: the connection is unusable, the retry reconnects
    }
    if (!sent && out.kind == WriteOutcome::Kind::Ok)
        out = failure(c, nullptr, "COPY data");
    return out;
}

WriteOutcome PostgresSink::write(const WriteSet &set)
{
    PGconn *c = isOpen() ? d->conn() : nullptr;
    if (!c || PQstatus(c) != CONNECTION_OK)
        return WriteOutcome::retry(QStringLiteral("not connected"));
    QSqlDatabase db = d->db();
    if (!db.transaction())
        return WriteOutcome::retry(QStringLiteral("BEGIN: ") + db.lastError().text());

    const Batch &b = *set.batch;
    WriteOutcome out;
    if (!set.good.empty()) {
        std::size_t raw = 0;
        for (const std::uint32_t i : set.good)
            raw += set.mapped && set.mapped->isMapped(i) ? 0 : 1;  // mapped rows go to their mapping's table below
        if (raw)
            out = d->beginCopy(c, d->copyReadings);
        if (raw && out.kind == WriteOutcome::Kind::Ok) {
            std::string &buf = d->buffer;
            bool sent = true;
            for (const std::uint32_t i : set.good) {
                if (set.mapped && set.mapped->isMapped(i))
                    continue;
                putBe16(buf, 3);
                putTimestamp(buf, b.receivedAtUs(i));
                const QByteArrayView topic = b.topic(i);
                putBytes(buf, topic.data(), static_cast<std::size_t>(topic.size()));
                putJsonb(buf, b.payload(i));
                if (buf.size() >= Private::CopyChunkBytes && !(sent = d->sendChunk(c)))
                    break;
            }
            out = d->endCopy(c, sent);
        }
        if (out.kind == WriteOutcome::Kind::Ok && !d->mapped->isEmpty())
            out = d->mapped->write(c, set);
    }
    const std::size_t deduplicated = out.deduplicated;
    if (out.kind == WriteOutcome::Kind::Ok && !set.dead.empty())
        out = d->beginCopy(c, d->copyDead);
    if (out.kind == WriteOutcome::Kind::Ok && !set.dead.empty()) {
        // Few and rare: one chunk.
        std::string &buf = d->buffer;
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
        out = d->endCopy(c, true);
    }
    if (out.kind == WriteOutcome::Kind::Ok && set.checkpoint && !d->spoolId.isEmpty()) {
        const QByteArray pos = QByteArray::number(static_cast<qulonglong>(set.checkpoint));
        const char *params[2] = {d->spoolId.constData(), pos.constData()};
        PGresult *res = PQexecParams(c,
                                     "INSERT INTO iot_subscriber_checkpoints (spool_id, position, updated_at) "
                                     "VALUES ($1, $2, now()) ON CONFLICT (spool_id) DO UPDATE "
                                     "SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at",
                                     2, nullptr, params, nullptr, nullptr, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            out = d->failure(c, res, "checkpoint");
        else
            PQclear(res);
        // A checkpoint failure is never the rows' fault: retry, do not split.
        if (out.kind == WriteOutcome::Kind::DataError)
            out.kind = WriteOutcome::Kind::Retry;
    }
    if (out.kind != WriteOutcome::Kind::Ok) {
        db.rollback();
        d->mapped->reset();  // staging tables created in this transaction are gone with it
        return out;
    }
    if (!db.commit()) {
        const QString msg = QStringLiteral("COMMIT: ") + db.lastError().text();
        db.rollback();
        return WriteOutcome::retry(msg);
    }
    out.deduplicated = deduplicated;
    return out;
}

} // namespace iot
