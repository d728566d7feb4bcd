// SPDX-License-Identifier: MIT
#include "mapping/mappedwriter.h"

#include "storage/pgcopy.h"
#include "util/timeformat.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

namespace iot {
namespace {

// After a rule's rows hit its unique key, this many of its transactions go through the staging table directly
// (a burst of redeliveries would otherwise pay for the failed direct COPY every time), then direct is tried again.
constexpr int StagedAfterConflict = 16;

using pgcopy::putBe32;
using pgcopy::putBe64;

QString pgError(pg_conn *c, PGresult *res)
{
    const QString m = QString::fromUtf8(res ? PQresultErrorMessage(res) : PQerrorMessage(c)).trimmed();
    return m.isEmpty() ? QString::fromUtf8(PQerrorMessage(c)).trimmed() : m;
}

// Runs a statement that returns no rows; an empty QString on success.
QString pgExec(pg_conn *c, const QString &sql)
{
    PGresult *res = PQexec(c, sql.toUtf8().constData());
    const ExecStatusType st = PQresultStatus(res);
    const QString err = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? QString() : pgError(c, res);
    PQclear(res);
    return err;
}

} // namespace

struct MappedWriter::Private
{
    QList<MappingRule> rules;
    MappingSchema::Dialect dialect;
    std::vector<QByteArray> columnList;   // "col1", "col2", ... quoted, per rule
    std::vector<bool> stagingReady;       // PostgreSQL temporary table created on this connection
    std::vector<int> stagedTransactions;  // per rule: transactions left that go staged after a key conflict
    std::vector<sqlite3_stmt *> inserts;  // SQLite prepared INSERT per rule
    std::string buffer;
    std::vector<std::array<char, TimeFormat::IsoLength>> isoBuffers;  // SQLite: per column

    QString stage(int r) const { return QStringLiteral("iot_stage_%1").arg(r); }

    WriteOutcome copyRows(pg_conn *c, const WriteSet &set, int k, const QString &table);


    void finalize()
    {
        for (sqlite3_stmt *s : inserts)
            sqlite3_finalize(s);
        inserts.clear();
    }

    void encodeRow(const MappedRows &rows, std::size_t row)
    {
        const std::uint16_t n = std::uint16_t(rows.columns);
        buffer.push_back(char(n >> 8));
        buffer.push_back(char(n));
        for (std::size_t c = 0; c < rows.columns; ++c) {
            const MappedValue &v = rows.at(row, c);
            switch (v.kind) {
            case MappedValue::Kind::Null: putBe32(buffer, 0xFFFFFFFFu); break;
            case MappedValue::Kind::Integer:
                putBe32(buffer, 8);
                putBe64(buffer, std::uint64_t(v.i));
                break;
            case MappedValue::Kind::Double: {
                putBe32(buffer, 8);
                putBe64(buffer, std::uint64_t(v.i));   // the double's bits
                break;
            }
            case MappedValue::Kind::Boolean:
                putBe32(buffer, 1);
                buffer.push_back(v.i ? 1 : 0);
                break;
            case MappedValue::Kind::Timestamp:
                putBe32(buffer, 8);
                putBe64(buffer, std::uint64_t(v.i - TimeFormat::PgEpochOffsetUs));
                break;
            case MappedValue::Kind::Text:
                putBe32(buffer, v.size);
                buffer.append(rows.arena.data() + v.i, v.size);
                break;
            case MappedValue::Kind::Json:
                putBe32(buffer, v.size + 1);
                buffer.push_back(1);  // jsonb binary version
                buffer.append(rows.arena.data() + v.i, v.size);
                break;
            }
        }
    }
};

MappedWriter::MappedWriter(QList<MappingRule> rules, MappingSchema::Dialect dialect) : d(std::make_unique<Private>())
{
    d->rules = std::move(rules);
    d->dialect = dialect;
    for (const MappingRule &r : std::as_const(d->rules)) {
        QStringList cols;
        for (const ColumnMapping &c : r.columns)
            cols << SqlSink::quoteIdentifier(c.name);
        d->columnList.push_back(cols.join(QStringLiteral(", ")).toUtf8());
    }
    d->stagingReady.assign(std::size_t(d->rules.size()), false);
    d->stagedTransactions.assign(std::size_t(d->rules.size()), 0);
}

MappedWriter::~MappedWriter()
{
    d->finalize();
}

bool MappedWriter::isEmpty() const
{
    return d->rules.isEmpty();
}

void MappedWriter::reset()
{
    d->finalize();
    d->stagingReady.assign(std::size_t(d->rules.size()), false);
    d->stagedTransactions.assign(std::size_t(d->rules.size()), 0);
}

Status MappedWriter::prepare(pg_conn *c)
{
    // Check every rule before creating anything: a conflict must never leave half the schema applied.
    QStringList problems;
    for (const MappingRule &r : std::as_const(d->rules)) {
        const QString schema = r.table.contains(QLatin1Char('.')) ? r.table.section(QLatin1Char('.'), 0, 0) : QString();
        const QByteArray table = SqlSink::baseName(r.table).toUtf8();
        const QByteArray sch = schema.toUtf8();
        const char *params[2] = {table.constData(), sch.constData()};
        PGresult *res = PQexecParams(c,
                                     "SELECT column_name, data_type, is_nullable = 'NO', column_default IS NOT NULL "
                                     "FROM information_schema.columns WHERE table_name = $1 AND "
                                     "(($2 = '' AND table_schema = current_schema()) OR table_schema = $2)",
                                     2, nullptr, params, nullptr, nullptr, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            const QString err = pgError(c, res);
            PQclear(res);
            return Error{QStringLiteral("cannot read the columns of ") + r.table + QStringLiteral(": ") + err};
        }
        QList<MappingSchema::ExistingColumn> existing;
        for (int i = 0; i < PQntuples(res); ++i)
            existing.append({QString::fromUtf8(PQgetvalue(res, i, 0)), QString::fromUtf8(PQgetvalue(res, i, 1)),
                             PQgetvalue(res, i, 2)[0] == 't', PQgetvalue(res, i, 3)[0] == 't'});
        PQclear(res);
        problems << MappingSchema::conflicts(r, existing, d->dialect);
    }
    bool needTimescale = false;
    for (const MappingRule &r : std::as_const(d->rules))
        needTimescale = needTimescale || r.hypertable;
    if (needTimescale) {
        PGresult *res = PQexec(c, "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
        const bool present = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
        PQclear(res);
        if (!present)
            problems << QStringLiteral("hypertable = true needs the TimescaleDB extension, which this database does "
                                       "not have: install it and run CREATE EXTENSION timescaledb, or set "
                                       "hypertable = false");
    }
    if (!problems.isEmpty())
        return Error{QStringLiteral("the [[mappings]] do not fit the database; nothing was changed:\n  ")
                         + problems.join(QStringLiteral("\n  ")),
                     true};
    for (const MappingRule &r : std::as_const(d->rules)) {
        for (const QString &sql : MappingSchema::createStatements(r, d->dialect))
            if (const QString err = pgExec(c, sql); !err.isEmpty())
                return Error{QStringLiteral("cannot create %1: %2").arg(r.table, err)};
        if (r.hypertable)
            if (const QString err = pgExec(c, MappingSchema::hypertableStatement(r)); !err.isEmpty())
                return Error{QStringLiteral("cannot make %1 a hypertable: %2").arg(r.table, err), true};
    }
    reset();
    return Ok{};
}

Status MappedWriter::prepare(sqlite3 *db)
{
    QStringList problems;
    for (const MappingRule &r : std::as_const(d->rules)) {
        if (r.hypertable)
            problems << QStringLiteral("%1: hypertable = true needs PostgreSQL with TimescaleDB").arg(r.table);
        sqlite3_stmt *st = nullptr;
        const QByteArray sql = (QStringLiteral("PRAGMA table_info(") + SqlSink::quoteIdentifier(r.table)
                                + QLatin1Char(')')).toUtf8();
        if (sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
            return Error{QString::fromUtf8(sqlite3_errmsg(db))};
        QList<MappingSchema::ExistingColumn> existing;
        while (sqlite3_step(st) == SQLITE_ROW)
            existing.append({QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(st, 1))),
                             QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(st, 2))),
                             sqlite3_column_int(st, 3) != 0, sqlite3_column_type(st, 4) != SQLITE_NULL});
        sqlite3_finalize(st);
        problems << MappingSchema::conflicts(r, existing, d->dialect);
    }
    if (!problems.isEmpty())
        return Error{QStringLiteral("the [[mappings]] do not fit the database; nothing was changed:\n  ")
                         + problems.join(QStringLiteral("\n  ")),
                     true};
    reset();
    for (qsizetype k = 0; k < d->rules.size(); ++k) {
        const MappingRule &r = d->rules[k];
        for (const QString &sql : MappingSchema::createStatements(r, d->dialect)) {
            char *err = nullptr;
            if (sqlite3_exec(db, sql.toUtf8().constData(), nullptr, nullptr, &err) != SQLITE_OK) {
                const QString msg = QString::fromUtf8(err);
                sqlite3_free(err);
                return Error{QStringLiteral("cannot create %1: %2").arg(r.table, msg)};
            }
        }
        QStringList marks;
        for (qsizetype c = 0; c < r.columns.size(); ++c)
            marks << QStringLiteral("?%1").arg(c + 1);
        const QByteArray ins = (QStringLiteral("INSERT %1INTO %2 (%3) VALUES (%4)")
                                    .arg(r.unique.isEmpty() ? QString() : QStringLiteral("OR IGNORE "),
                                         SqlSink::quoteIdentifier(r.table), QString::fromUtf8(d->columnList[k]),
                                         marks.join(QStringLiteral(", "))))
                                   .toUtf8();
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v3(db, ins.constData(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
            return Error{QString::fromUtf8(sqlite3_errmsg(db))};
        d->inserts.push_back(st);
    }
    return Ok{};
}

WriteOutcome MappedWriter::Private::copyRows(pg_conn *c, const WriteSet &set, int k, const QString &table)
{
    const MappedBatch &mb = *set.mapped;
    const MappedRows &rows = mb.perRule[std::size_t(k)];
    pgcopy::Stream copy(buffer, table);
    const QByteArray command = (QStringLiteral("COPY %1 (%2) FROM STDIN (FORMAT binary)")
                                    .arg(table, QString::fromUtf8(columnList[std::size_t(k)])))
                                   .toUtf8();
    if (WriteOutcome o = copy.begin(c, command); !o.ok())
        return o;
    for (const std::uint32_t i : set.good) {
        if (mb.rowRule[i] != k)
            continue;
        encodeRow(rows, mb.rowSlot[i]);
        if (!copy.rowDone(c))
            break;
    }
    return copy.end(c);
}

WriteOutcome MappedWriter::write(pg_conn *c, const WriteSet &set)
{
    WriteOutcome out;
    if (!set.mapped)
        return out;
    const MappedBatch &mb = *set.mapped;
    for (qsizetype k = 0; k < d->rules.size(); ++k) {
        const std::size_t count = std::size_t(
            std::count_if(set.good.begin(), set.good.end(), [&](std::uint32_t i) { return mb.rowRule[i] == k; }));
        if (count == 0)
            continue;
        const MappingRule &r = d->rules[k];
        const QString target = SqlSink::quoteIdentifier(r.table);
        if (r.unique.isEmpty()) {
            if (WriteOutcome o = d->copyRows(c, set, int(k), target); !o.ok())
                return o;
            continue;
        }
        // A unique key. Duplicates are rare (a broker redelivery, a device resending), so first try the rows
        // straight into the table inside a savepoint: no staging, no per-row conflict check. Only when that hits
        // the key (SQLSTATE 23505) are they staged and inserted with ON CONFLICT DO NOTHING, which counts the
        // duplicates; the next transactions of this rule then go staged directly for a while.
        int &staging = d->stagedTransactions[std::size_t(k)];
        if (staging == 0) {
            if (const QString err = pgExec(c, QStringLiteral("SAVEPOINT iot_direct")); !err.isEmpty())
                return WriteOutcome::retry(r.table + QStringLiteral(": ") + err);
            const WriteOutcome o = d->copyRows(c, set, int(k), target);
            if (o.ok()) {
                if (const QString err = pgExec(c, QStringLiteral("RELEASE SAVEPOINT iot_direct")); !err.isEmpty())
                    return WriteOutcome::retry(r.table + QStringLiteral(": ") + err);
                continue;
            }
            if (o.code != "23505")
                return o;
            if (const QString err = pgExec(c, QStringLiteral("ROLLBACK TO SAVEPOINT iot_direct")); !err.isEmpty())
                return WriteOutcome::retry(r.table + QStringLiteral(": ") + err);
            staging = StagedAfterConflict;
        } else {
            --staging;
        }
        if (!d->stagingReady[std::size_t(k)]) {
            // ON COMMIT DELETE ROWS empties the stage with every transaction.
            const QString err = pgExec(c, QStringLiteral("CREATE TEMPORARY TABLE IF NOT EXISTS %1 (LIKE %2) ON COMMIT "
                                                         "DELETE ROWS")
                                              .arg(d->stage(int(k)), target));
            if (!err.isEmpty())
                return WriteOutcome::retry(QStringLiteral("staging table for ") + r.table + QStringLiteral(": ") + err);
            d->stagingReady[std::size_t(k)] = true;
        }
        if (WriteOutcome o = d->copyRows(c, set, int(k), d->stage(int(k))); !o.ok())
            return o;
        const QByteArray ins = (QStringLiteral("INSERT INTO %1 (%2) SELECT %2 FROM %3 ON CONFLICT DO NOTHING")
                                    .arg(target, QString::fromUtf8(d->columnList[std::size_t(k)]), d->stage(int(k))))
                                   .toUtf8();
        PGresult *res = PQexec(c, ins.constData());
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return pgcopy::failure(c, res, r.table);
        const std::size_t inserted = std::strtoull(PQcmdTuples(res), nullptr, 10);
        PQclear(res);
        out.deduplicated += count - std::min(count, inserted);
    }
    return out;
}

WriteOutcome MappedWriter::write(sqlite3 *db, const WriteSet &set)
{
    WriteOutcome out;
    if (!set.mapped)
        return out;
    const MappedBatch &mb = *set.mapped;
    // One text buffer per column, so timestamps are bound without a copy (SQLITE_STATIC: they stay valid until the
    // step, and several time columns of one row do not share one).
    std::size_t columns = 0;
    for (const MappedRows &rows : mb.perRule)
        columns = std::max(columns, rows.columns);
    d->isoBuffers.resize(columns);
    for (const std::uint32_t i : set.good) {
        const std::int32_t k = mb.rowRule[i];
        if (k < 0)
            continue;
        const MappedRows &rows = mb.perRule[std::size_t(k)];
        sqlite3_stmt *st = d->inserts[std::size_t(k)];
        const std::size_t row = mb.rowSlot[i];
        for (std::size_t c = 0; c < rows.columns; ++c) {
            const MappedValue &v = rows.at(row, c);
            const int p = int(c) + 1;
            switch (v.kind) {
            case MappedValue::Kind::Null: sqlite3_bind_null(st, p); break;
            case MappedValue::Kind::Integer:
            case MappedValue::Kind::Boolean: sqlite3_bind_int64(st, p, v.i); break;
            case MappedValue::Kind::Double: sqlite3_bind_double(st, p, v.real()); break;
            case MappedValue::Kind::Timestamp: {
                char *iso = d->isoBuffers[c].data();
                TimeFormat::isoUtc(v.i, iso);
                sqlite3_bind_text(st, p, iso, int(TimeFormat::IsoLength), SQLITE_STATIC);
                break;
            }
            case MappedValue::Kind::Text:
            case MappedValue::Kind::Json:
                sqlite3_bind_text(st, p, rows.arena.data() + v.i, int(v.size), SQLITE_STATIC);
                break;
            }
        }
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            const QString err = d->rules[k].table + QStringLiteral(": ") + QString::fromUtf8(sqlite3_errmsg(db));
            return WriteOutcome::failed(FailureClasses::fromSqliteCode(rc), err, FailureClasses::sqliteCodeName(rc));
        }
        if (sqlite3_changes(db) == 0)
            ++out.deduplicated;  // INSERT OR IGNORE skipped it: the unique key is already stored
    }
    return out;
}

} // namespace iot
