// SPDX-License-Identifier: MIT
#include "export/exportquery.h"

#include "config/configloader.h"
#include "export/topicfilters.h"
#include "storage/sqlsink.h"
#include "util/timeformat.h"

#include <QSet>

namespace iot {
namespace {

using Kind = ExportQuery::Column::Kind;

QByteArray isoText(std::int64_t us)
{
    char buf[TimeFormat::IsoLength];
    TimeFormat::isoUtc(us, buf);
    return QByteArray(buf, TimeFormat::IsoLength);
}

const MappingRule *ruleForTable(const Config &config, const QString &table)
{
    for (const MappingRule &r : config.mappings)
        if (r.table == table)
            return &r;
    return nullptr;
}

const ColumnMapping *columnBySource(const MappingRule &rule, ColumnMapping::Source source)
{
    for (const ColumnMapping &c : rule.columns)
        if (c.source == source)
            return &c;
    return nullptr;
}

// The SELECT being put together: its column expressions, the table and the columns the WHERE clause selects on.
struct Builder
{
    bool pg = true;
    QString (*placeholder)(int) = nullptr;
    ExportQuery q;
    QStringList select;
    QString table;
    QString timeCol;   // quoted; empty: the table has none
    QString topicCol;
    // PostgreSQL's own text for timestamptz depends on the session's DateStyle and TimeZone; µs since the epoch do
    // not, and TimeFormat writes them. SQLite stores the ISO-8601 UTC text already.
    Kind timeKind = Kind::EpochUs;

    QString timeExpr(const QString &col) const
    {
        return pg ? QStringLiteral("(extract(epoch from %1) * 1000000)::bigint").arg(col) : col;
    }
    Status readings(const Config &config, const ExportRequest &request);
    Status mappedTable(const Config &config, const ExportRequest &request);
    QStringList where(const ExportRequest &request);
};

// The raw readings table: receive time, topic, and the whole payload or the --field pointers into it.
Status Builder::readings(const Config &config, const ExportRequest &request)
{
    table = SqlSink::quoteIdentifier(config.database.table);
    timeCol = QStringLiteral("received_at");
    topicCol = QStringLiteral("topic");
    select << timeExpr(timeCol) << topicCol << (pg ? QStringLiteral("payload::text") : QStringLiteral("payload"));
    q.columns.push_back({timeKind, 0, -1});
    q.columns.push_back({Kind::Text, 1, -1});
    if (request.fields.isEmpty()) {
        q.header << QStringLiteral("payload");
        q.columns.push_back({Kind::Text, 2, -1});
    }
    QSet<QString> names{q.header.cbegin(), q.header.cend()};
    for (const auto &[name, pointer] : request.fields) {
        if (name.isEmpty())
            return Error{QStringLiteral("--field '=%1': the column needs a name (NAME=POINTER)").arg(pointer)};
        if (names.contains(name))
            return Error{QStringLiteral("--field %1: the column name is used twice").arg(name)};
        if (!pointer.isEmpty() && !pointer.startsWith(QLatin1Char('/')))
            return Error{QStringLiteral("--field %1=%2: a JSON pointer starts with '/' (RFC 6901), e.g. /seq")
                             .arg(name, pointer)};
        names.insert(name);
        q.header << name;
        q.columns.push_back({Kind::Field, 2, static_cast<int>(q.fields.size())});
        q.fields.emplace_back(name, pointer);
    }
    return Ok{};
}

// A [[mappings]] table: its time and topic columns first, then every column of the rule.
Status Builder::mappedTable(const Config &config, const ExportRequest &request)
{
    if (!request.fields.isEmpty())
        return Error{QStringLiteral("--field reads the JSON payloads of the raw readings; with --table the "
                                    "table's own columns are exported")};
    const MappingRule *rule = ruleForTable(config, request.table);
    if (!rule) {
        QStringList known;
        for (const MappingRule &r : config.mappings)
            known << r.table;
        return Error{QStringLiteral("--table %1: no [[mappings]] rule of %2 writes that table (%3)")
                         .arg(request.table, config.sourceFile,
                              known.isEmpty() ? QStringLiteral("it has none")
                                              : QStringLiteral("tables: ") + known.join(QStringLiteral(", ")))};
    }
    table = SqlSink::quoteIdentifier(rule->table);
    const ColumnMapping *time = nullptr;
    for (const ColumnMapping &c : rule->columns)
        if (c.name == rule->timeColumn)
            time = &c;
    if (!time)
        time = columnBySource(*rule, ColumnMapping::Source::ReceivedAt);
    if (time && time->type == ColumnMapping::Type::Timestamptz) {
        timeCol = SqlSink::quoteIdentifier(time->name);
        select << timeExpr(timeCol);
        q.columns.push_back({timeKind, 0, -1});
    } else {
        select << QStringLiteral("NULL");
        q.columns.push_back({Kind::Text, 0, -1});
    }
    if (const ColumnMapping *topic = columnBySource(*rule, ColumnMapping::Source::Topic)) {
        topicCol = SqlSink::quoteIdentifier(topic->name);
        select << topicCol;
    } else {
        select << QStringLiteral("NULL");
    }
    q.columns.push_back({Kind::Text, 1, -1});
    for (const ColumnMapping &c : rule->columns) {
        const QString col = SqlSink::quoteIdentifier(c.name);
        const int source = static_cast<int>(select.size());
        q.header << c.name;
        switch (c.type) {
        case ColumnMapping::Type::Timestamptz:
            select << timeExpr(col);
            q.columns.push_back({timeKind, source, -1});
            break;
        case ColumnMapping::Type::Boolean:
            select << col;
            q.columns.push_back({Kind::Boolean, source, -1});
            break;
        default:
            select << col;
            q.columns.push_back({Kind::Text, source, -1});
            break;
        }
    }
    if ((request.fromUs || request.toUs) && timeCol.isEmpty())
        return Error{QStringLiteral("--from/--to: table %1 has no time column (time_column, or a column of "
                                    "source \"received_at\") to select on")
                         .arg(request.table)};
    if (!request.topics.isEmpty() && topicCol.isEmpty())
        return Error{QStringLiteral("--topic: table %1 has no topic column (a column of source \"topic\") to "
                                    "filter on")
                         .arg(request.table)};
    return Ok{};
}

// The time range and the topic filters, as far as SQL can narrow them (the rest is matched in C++).
QStringList Builder::where(const ExportRequest &request)
{
    QStringList where;
    const auto bind = [this](const QByteArray &value) { q.params << value; };
    if (request.fromUs) {
        where << timeCol + QStringLiteral(" >= ") + placeholder(static_cast<int>(q.params.size()))
                + (pg ? QStringLiteral("::timestamptz") : QString());
        bind(isoText(*request.fromUs));
    }
    if (request.toUs) {
        where << timeCol + QStringLiteral(" < ") + placeholder(static_cast<int>(q.params.size()))
                + (pg ? QStringLiteral("::timestamptz") : QString());
        bind(isoText(*request.toUs));
    }
    if (!request.topics.isEmpty()) {
        QStringList any;
        QList<QByteArray> topicParams;
        bool narrowable = true;
        bool exact = true;
        for (const QString &f : request.topics) {
            const auto c = TopicFilters::sqlCondition(f, topicCol, static_cast<int>(q.params.size() + topicParams.size()),
                                                      placeholder);
            narrowable = narrowable && !c.sql.isEmpty();
            exact = exact && !TopicFilters::hasWildcard(f);
            any << c.sql;
            for (const QString &p : c.params)
                topicParams << p.toUtf8();
        }
        // One filter that no SQL narrows (`#`, `+/temp`) makes the whole OR useless: leave it to the C++ match.
        if (narrowable) {
            where << QLatin1Char('(') + any.join(QStringLiteral(" OR ")) + QLatin1Char(')');
            q.params += topicParams;
        }
        if (!exact || !narrowable) {
            q.topicFilters = request.topics;
            q.topicSource = 1;
        }
    }
    return where;
}

} // namespace

QString ExportQuery::pgPlaceholder(int n)
{
    return QLatin1Char('$') + QString::number(n + 1);
}

QString ExportQuery::sqlitePlaceholder(int n)
{
    return QLatin1Char('?') + QString::number(n + 1);
}

Result<ExportQuery> ExportQuery::make(const Config &config, const ExportRequest &request, Dialect dialect)
{
    for (const QString &f : request.topics)
        if (const QString why = ConfigLoader::topicFilterProblem(f); !why.isEmpty())
            return Error{QStringLiteral("--topic '%1': %2").arg(f, why)};
    if (request.fromUs && request.toUs && *request.fromUs >= *request.toUs)
        return Error{QStringLiteral("--from must be earlier than --to")};

    Builder b;
    b.pg = dialect == Dialect::Postgres;
    b.placeholder = b.pg ? pgPlaceholder : sqlitePlaceholder;
    b.timeKind = b.pg ? Kind::EpochUs : Kind::Text;
    b.q.header << QStringLiteral("received_at") << QStringLiteral("topic");
    const Status shaped = request.table.isEmpty() ? b.readings(config, request) : b.mappedTable(config, request);
    if (!shaped)
        return shaped.error();
    const QStringList where = b.where(request);
    QString sql = QStringLiteral("SELECT ") + b.select.join(QStringLiteral(", ")) + QStringLiteral(" FROM ") + b.table;
    if (!where.isEmpty())
        sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    if (!b.timeCol.isEmpty())
        sql += QStringLiteral(" ORDER BY ") + b.timeCol;
    b.q.sql = sql.toUtf8();
    return std::move(b.q);
}

} // namespace iot
