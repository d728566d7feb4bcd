// SPDX-License-Identifier: MIT
// ExportQuery: the SQL, parameters, header and columns of an export on both dialects, and the requests it refuses.
#include "export/exportquery.h"

#include <QTest>

using namespace iot;

namespace {

Config config()
{
    Config c;
    MappingRule rule;
    rule.name = QStringLiteral("rooms");
    rule.table = QStringLiteral("rooms");
    rule.topics = {QStringLiteral("lab/{room}")};
    rule.timeColumn = QStringLiteral("at");
    ColumnMapping room{QStringLiteral("room"), ColumnMapping::Type::Text, ColumnMapping::Source::TopicSegment,
                       QStringLiteral("room")};
    ColumnMapping ok{QStringLiteral("ok"), ColumnMapping::Type::Boolean, ColumnMapping::Source::JsonPointer,
                     QStringLiteral("/ok")};
    ColumnMapping at{QStringLiteral("at"), ColumnMapping::Type::Timestamptz, ColumnMapping::Source::ReceivedAt, {}};
    rule.columns = {room, ok, at};
    c.mappings = {rule};
    return c;
}

} // namespace

class TstExportQuery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rawReadingsPostgres()
    {
        ExportRequest r;
        r.fields = {{QStringLiteral("seq"), QStringLiteral("/seq")}};
        r.fromUs = 0;
        r.toUs = 1000000;
        r.topics = {QStringLiteral("a/+/t"), QStringLiteral("b/#")};
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Postgres);
        QVERIFY(q);
        QCOMPARE(q.value().sql,
                 QByteArray("SELECT (extract(epoch from received_at) * 1000000)::bigint, topic, payload::text FROM "
                            "\"readings\" WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz AND "
                            "(topic LIKE $3 ESCAPE '\\' OR (topic LIKE $4 ESCAPE '\\' OR topic = $5)) ORDER BY "
                            "received_at"));
        QCOMPARE(q.value().params, (QList<QByteArray>{"1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:01.000000Z",
                                                     "a/%", "b/%", "b"}));
        QCOMPARE(q.value().header, (QStringList{QStringLiteral("received_at"), QStringLiteral("topic"),
                                                QStringLiteral("seq")}));
        QCOMPARE(q.value().topicFilters, r.topics);  // '+' needs the exact match in C++
    }

    void rawReadingsSqlite()
    {
        ExportRequest r;
        r.topics = {QStringLiteral("a/b"), QStringLiteral("c/#")};
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Sqlite);
        QVERIFY(q);
        QCOMPARE(q.value().sql, QByteArray("SELECT received_at, topic, payload FROM \"readings\" WHERE (topic = ?1 OR "
                                           "(topic LIKE ?2 ESCAPE '\\' OR topic = ?3)) ORDER BY received_at"));
        QCOMPARE(q.value().header.last(), QStringLiteral("payload"));  // no --field: the whole payload
        // '#' with a literal prefix is exact in SQL; the topic match in C++ is still on (any wildcard turns it on).
        QCOMPARE(q.value().topicFilters.size(), 2);
    }

    void exactFiltersNeedNoCppMatch()
    {
        ExportRequest r;
        r.topics = {QStringLiteral("a/b")};
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Sqlite);
        QVERIFY(q);
        QVERIFY(q.value().topicFilters.isEmpty());
    }

    void leadingWildcardLeavesSqlUnfiltered()
    {
        ExportRequest r;
        r.topics = {QStringLiteral("a/b"), QStringLiteral("+/t")};
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Postgres);
        QVERIFY(q);
        QVERIFY(!q.value().sql.contains("WHERE"));
        QVERIFY(q.value().params.isEmpty());
        QCOMPARE(q.value().topicFilters, r.topics);
    }

    void mappedTable()
    {
        ExportRequest r;
        r.table = QStringLiteral("rooms");
        r.fromUs = 0;
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Postgres);
        QVERIFY(q);
        QCOMPARE(q.value().sql,
                 QByteArray("SELECT (extract(epoch from \"at\") * 1000000)::bigint, NULL, \"room\", \"ok\", (extract("
                            "epoch from \"at\") * 1000000)::bigint FROM \"rooms\" WHERE \"at\" >= $1::timestamptz "
                            "ORDER BY \"at\""));
        QCOMPARE(q.value().header, (QStringList{QStringLiteral("received_at"), QStringLiteral("topic"),
                                                QStringLiteral("room"), QStringLiteral("ok"), QStringLiteral("at")}));
        QCOMPARE(q.value().columns[3].kind, ExportQuery::Column::Kind::Boolean);
    }

    void refused_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("topic");
        QTest::addColumn<bool>("range");
        QTest::addColumn<QString>("message");
        const auto row = [](const char *name, const char *table, const char *field, const char *topic, bool range,
                            const char *message) {
            QTest::newRow(name) << QString::fromUtf8(table) << QString::fromUtf8(field) << QString::fromUtf8(topic)
                                << range << QString::fromUtf8(message);
        };
        row("unknown table", "nosuch", "", "", false, "--table nosuch: no [[mappings]] rule");
        row("field with table", "rooms", "seq=/seq", "", false, "with --table");
        row("topic on a table without topic column", "rooms", "", "lab/#", false, "no topic column");
        row("pointer without slash", "", "seq=seq", "", false, "starts with '/'");
        row("unnamed field", "", "=/seq", "", false, "needs a name");
        row("duplicate name", "", "topic=/t", "", false, "used twice");
        row("bad filter", "", "", "a/#/b", false, "--topic 'a/#/b'");
        row("backwards range", "", "", "", true, "earlier than --to");
    }
    void refused()
    {
        QFETCH(QString, table);
        QFETCH(QString, field);
        QFETCH(QString, topic);
        QFETCH(bool, range);
        QFETCH(QString, message);
        ExportRequest r;
        r.table = table;
        if (!field.isEmpty())
            r.fields = {{field.section(QLatin1Char('='), 0, 0), field.section(QLatin1Char('='), 1)}};
        if (!topic.isEmpty())
            r.topics = {topic};
        if (range) {
            r.fromUs = 10;
            r.toUs = 10;
        }
        const auto q = ExportQuery::make(config(), r, ExportQuery::Dialect::Sqlite);
        QVERIFY(!q);
        QVERIFY2(q.error().message.contains(message), qPrintable(q.error().message));
    }
};

QTEST_APPLESS_MAIN(TstExportQuery)
#include "tst_exportquery.moc"
