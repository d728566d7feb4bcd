// SPDX-License-Identifier: MIT
#include "history/historyquery.h"

#include "config/configloader.h"
#include "export/topicfilters.h"
#include "storage/sqlsink.h"
#include "util/timeformat.h"

#include <QFile>

namespace iot {
namespace {

QByteArray isoText(std::int64_t us)
{
    char buf[TimeFormat::IsoLength];
    TimeFormat::isoUtc(us, buf);
    return QByteArray(buf, TimeFormat::IsoLength);
}

QString placeholder(bool pg, int n)
{
    return (pg ? QLatin1Char('$') : QLatin1Char('?')) + QString::number(n + 1);
}

QString pgPlaceholder(int n) { return placeholder(true, n); }
QString sqlitePlaceholder(int n) { return placeholder(false, n); }

QStringList pointerTokens(const QString &pointer)
{
    QStringList tokens = pointer.split(QLatin1Char('/'));
    tokens.removeFirst();  // the empty text before the leading '/'
    for (QString &t : tokens)
        t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
    return tokens;
}

QString sqlTemplate(bool pg)
{
    QFile f(pg ? QStringLiteral(":/iot/sql/history_postgres.sql") : QStringLiteral(":/iot/sql/history_sqlite.sql"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

} // namespace

std::int64_t HistoryQuery::bucketWidth(std::int64_t fromUs, std::int64_t toUs, int maxBuckets)
{
    const std::int64_t span = toUs - fromUs;
    const std::int64_t n = std::max(1, maxBuckets);
    return std::max<std::int64_t>(1, (span + n - 1) / n);
}

QByteArray HistoryQuery::pgPath(const QString &pointer)
{
    QByteArray out = "{";
    const QStringList tokens = pointerTokens(pointer);
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        if (i)
            out += ',';
        QByteArray t = tokens[i].toUtf8();
        t.replace("\\", "\\\\").replace("\"", "\\\"");
        out += '"' + t + '"';
    }
    return out + '}';
}

QByteArray HistoryQuery::sqlitePath(const QString &pointer)
{
    QByteArray out = "$";
    for (const QString &t : pointerTokens(pointer)) {
        bool digits = !t.isEmpty();
        for (QChar c : t)
            digits = digits && c.isDigit() && c.unicode() < 0x80;
        if (digits) {
            out += '[' + t.toUtf8() + ']';
        } else {
            if (t.contains(QLatin1Char('"')))
                return {};
            out += ".\"" + t.toUtf8() + '"';
        }
    }
    return out;
}

Result<HistoryQuery> HistoryQuery::make(const Config &config, const HistoryRequest &request, Dialect dialect,
                                        int serverVersion)
{
    const bool pg = dialect == Dialect::Postgres;
    for (const QString &f : request.topics)
        if (const QString why = ConfigLoader::topicFilterProblem(f); !why.isEmpty())
            return Error{QStringLiteral("topic '%1': %2").arg(f, why)};
    if (request.fromUs >= request.toUs)
        return Error{QStringLiteral("the range must start before it ends")};

    HistoryQuery q;
    q.bucketUs = bucketWidth(request.fromUs, request.toUs, request.maxBuckets);
    // The templates' leading parameters (see sql/history_*.sql): SQLite computes the bucket from µs since the
    // epoch, PostgreSQL from the interval since the range's start.
    if (!pg)
        q.params << QByteArray::number(qint64(request.fromUs));
    q.params << QByteArray::number(qint64(q.bucketUs)) << isoText(request.fromUs) << isoText(request.toUs);
    if (!pg)
        q.params << QByteArray::number(qint64(request.toUs));
    q.packed = !pg;
    const auto next = [&q, pg] { return placeholder(pg, static_cast<int>(q.params.size())); };

    QString table, time, topic, value, extract;  // extract: PostgreSQL's template takes the field once, as j
    if (request.table.isEmpty()) {
        if (!request.field.isEmpty() && !request.field.startsWith(QLatin1Char('/')))
            return Error{QStringLiteral("field '%1': a JSON pointer starts with '/' (RFC 6901), e.g. /temp")
                             .arg(request.field)};
        table = SqlSink::quoteIdentifier(config.database.table);
        time = QStringLiteral("received_at");
        topic = QStringLiteral("topic");
        const QString p = next();
        if (pg) {
            extract = QStringLiteral("payload #> %1::text[]").arg(p);
            value = QStringLiteral("CASE WHEN jsonb_typeof(j) = 'number' THEN j::numeric END");
            q.params << pgPath(request.field);
        } else {
            value = QStringLiteral("iot_number(payload, %1)").arg(p);
            q.params << request.field.toUtf8();
        }
    } else {
        const MappingRule *rule = nullptr;
        for (const MappingRule &r : config.mappings)
            if (r.table == request.table)
                rule = &r;
        if (!rule)
            return Error{QStringLiteral("table %1: no [[mappings]] rule writes it").arg(request.table)};
        const ColumnMapping *col = nullptr, *timeCol = nullptr, *topicCol = nullptr;
        for (const ColumnMapping &c : rule->columns) {
            if (c.name == request.field)
                col = &c;
            if (c.name == rule->timeColumn && c.type == ColumnMapping::Type::Timestamptz)
                timeCol = &c;
            if (!timeCol && c.source == ColumnMapping::Source::ReceivedAt && rule->timeColumn.isEmpty())
                timeCol = &c;
            if (!topicCol && c.source == ColumnMapping::Source::Topic)
                topicCol = &c;
        }
        if (!col)
            return Error{QStringLiteral("table %1 has no column %2").arg(request.table, request.field)};
        if (col->type != ColumnMapping::Type::Integer && col->type != ColumnMapping::Type::Double)
            return Error{QStringLiteral("column %1 of table %2 is not numeric (integer or double)")
                             .arg(request.field, request.table)};
        if (!timeCol)
            return Error{QStringLiteral("table %1 has no time column (time_column, or a column of source "
                                        "\"received_at\") to plot over")
                             .arg(request.table)};
        table = SqlSink::quoteIdentifier(rule->table);
        time = SqlSink::quoteIdentifier(timeCol->name);
        // Without a topic column the whole table is one series, named after it.
        topic = topicCol ? SqlSink::quoteIdentifier(topicCol->name)
                         : QStringLiteral("'") + QString(rule->table).replace(QLatin1Char('\''), QStringLiteral("''"))
                               + QLatin1Char('\'');
        const QString c = SqlSink::quoteIdentifier(col->name);
        extract = c;
        // SQLite: iot_buckets skips what is not INTEGER or REAL.
        value = pg ? QStringLiteral("j::double precision") : c;
        if (!request.topics.isEmpty() && !topicCol)
            return Error{QStringLiteral("table %1 has no topic column (a column of source \"topic\") to filter on")
                             .arg(request.table)};
    }

    QString topicCondition;
    if (!request.topics.isEmpty()) {
        QStringList any;
        QList<QByteArray> topicParams;
        bool narrowable = true, exact = true;
        for (const QString &f : request.topics) {
            const auto c = TopicFilters::sqlCondition(f, topic, static_cast<int>(q.params.size() + topicParams.size()),
                                                      pg ? pgPlaceholder : sqlitePlaceholder);
            narrowable = narrowable && !c.sql.isEmpty();
            exact = exact && !TopicFilters::hasWildcard(f);
            any << c.sql;
            for (const QString &p : c.params)
                topicParams << p.toUtf8();
        }
        if (narrowable) {
            topicCondition = QStringLiteral("AND (") + any.join(QStringLiteral(" OR ")) + QLatin1Char(')');
            q.params += topicParams;
        }
        if (!exact || !narrowable)
            q.topicFilters = request.topics;
    }

    QString sql = sqlTemplate(pg);
    Q_ASSERT(!sql.isEmpty());
    if (pg) {
        // date_bin (PostgreSQL 14) is integer maths per row; the bucket's index is computed once per group.
        const bool bin = serverVersion >= 140000;
        sql.replace(QStringLiteral("${bucket}"),
                    bin ? QStringLiteral("date_bin($1::bigint * interval '1 microsecond', ${time}, $2::timestamptz)")
                        : QStringLiteral("(date_part('epoch', ${time} - $2::timestamptz) * 1000000)::bigint "
                                         "/ $1::bigint"))
            .replace(QStringLiteral("${bucket_index}"),
                     bin ? QStringLiteral("(date_part('epoch', b - $2::timestamptz) * 1000000)::bigint / $1::bigint")
                         : QStringLiteral("b"));
    }
    sql.replace(QStringLiteral("${topic_condition}"), topicCondition)
        .replace(QStringLiteral("${topic}"), topic)
        .replace(QStringLiteral("${time}"), time)
        .replace(QStringLiteral("${extract}"), extract)
        .replace(QStringLiteral("${value}"), value)
        .replace(QStringLiteral("${table}"), table);
    q.sql = sql.toUtf8();
    return q;
}

} // namespace iot
