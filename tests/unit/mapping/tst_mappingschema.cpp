// SPDX-License-Identifier: MIT
// Schema for [[mappings]]: generated DDL per dialect and the conflict check against an existing table.
#include "mapping/mappingschema.h"

#include <QTest>

using namespace iot;
using MappingSchema::Dialect;
using MappingSchema::ExistingColumn;

namespace {

MappingRule rule()
{
    MappingRule r;
    r.name = QStringLiteral("lab");
    r.table = QStringLiteral("telemetry");
    r.topics = {QStringLiteral("lab/{room}/{sensor}")};
    ColumnMapping sensor{QStringLiteral("sensor"), ColumnMapping::Type::Text, ColumnMapping::Source::TopicSegment,
                         QStringLiteral("sensor"), true, ColumnMapping::TimeEncoding::Auto};
    ColumnMapping temp{QStringLiteral("temperature"), ColumnMapping::Type::Double, ColumnMapping::Source::JsonPointer,
                       QStringLiteral("/t"), false, ColumnMapping::TimeEncoding::Auto};
    ColumnMapping at{QStringLiteral("device_time"), ColumnMapping::Type::Timestamptz,
                     ColumnMapping::Source::JsonPointer, QStringLiteral("/ts"), true,
                     ColumnMapping::TimeEncoding::EpochMillis};
    r.columns = {sensor, temp, at};
    r.unique = {QStringLiteral("sensor"), QStringLiteral("device_time")};
    r.timeColumn = QStringLiteral("device_time");
    return r;
}

} // namespace

class TstMappingSchema final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createsTableAndIndexes_data();
    void createsTableAndIndexes();
    void conflicts_data();
    void conflicts();
    void hypertable();
};

void TstMappingSchema::createsTableAndIndexes_data()
{
    QTest::addColumn<int>("dialect");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("postgres") << int(Dialect::Postgres)
                              << QStringList{
                                     QStringLiteral("CREATE TABLE IF NOT EXISTS \"telemetry\" (\n    \"sensor\" text NOT NULL,\n"
                                                    "    \"temperature\" double precision,\n"
                                                    "    \"device_time\" timestamp with time zone NOT NULL\n)"),
                                     QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS \"telemetry_unique_idx\" ON \"telemetry\" "
                                                    "(\"sensor\", \"device_time\")"),
                                     QStringLiteral("CREATE INDEX IF NOT EXISTS \"telemetry_device_time_idx\" ON \"telemetry\" "
                                                    "(\"device_time\")")};
    QTest::newRow("sqlite") << int(Dialect::Sqlite)
                            << QStringList{
                                   QStringLiteral("CREATE TABLE IF NOT EXISTS \"telemetry\" (\n    \"sensor\" TEXT NOT NULL,\n"
                                                  "    \"temperature\" REAL,\n    \"device_time\" TEXT NOT NULL\n)"),
                                   QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS \"telemetry_unique_idx\" ON \"telemetry\" "
                                                  "(\"sensor\", \"device_time\")"),
                                   QStringLiteral("CREATE INDEX IF NOT EXISTS \"telemetry_device_time_idx\" ON \"telemetry\" "
                                                  "(\"device_time\")")};
}

void TstMappingSchema::createsTableAndIndexes()
{
    QFETCH(int, dialect);
    QFETCH(QStringList, expected);
    QCOMPARE(MappingSchema::createStatements(rule(), Dialect(dialect)), expected);
}

void TstMappingSchema::conflicts_data()
{
    QTest::addColumn<QList<ExistingColumn>>("existing");
    QTest::addColumn<QStringList>("expected");
    const ExistingColumn sensor{QStringLiteral("sensor"), QStringLiteral("text"), true, false};
    const ExistingColumn temp{QStringLiteral("temperature"), QStringLiteral("double precision"), false, false};
    const ExistingColumn at{QStringLiteral("device_time"), QStringLiteral("timestamp with time zone"), true, false};
    QTest::newRow("no table") << QList<ExistingColumn>{} << QStringList{};
    QTest::newRow("same") << QList<ExistingColumn>{sensor, temp, at} << QStringList{};
    QTest::newRow("extra nullable column is fine")
        << QList<ExistingColumn>{sensor, temp, at, {QStringLiteral("note"), QStringLiteral("text"), false, false}}
        << QStringList{};
    QTest::newRow("type differs")
        << QList<ExistingColumn>{sensor, {QStringLiteral("temperature"), QStringLiteral("text"), false, false}, at}
        << QStringList{QStringLiteral("telemetry.temperature: is text in the existing table, the mapping wants double precision")};
    QTest::newRow("column missing")
        << QList<ExistingColumn>{sensor, at}
        << QStringList{QStringLiteral("telemetry.temperature: no such column in the existing table (the mapping wants double precision)")};
    QTest::newRow("unmapped NOT NULL")
        << QList<ExistingColumn>{sensor, temp, at, {QStringLiteral("site"), QStringLiteral("text"), true, false}}
        << QStringList{QStringLiteral("telemetry.site: NOT NULL without a default and not mapped: inserts would fail")};
}

void TstMappingSchema::conflicts()
{
    QFETCH(QList<ExistingColumn>, existing);
    QFETCH(QStringList, expected);
    QCOMPARE(MappingSchema::conflicts(rule(), existing, Dialect::Postgres), expected);
}

void TstMappingSchema::hypertable()
{
    QCOMPARE(MappingSchema::hypertableStatement(rule()),
             QStringLiteral("SELECT create_hypertable('\"telemetry\"', 'device_time', if_not_exists => TRUE, "
                            "migrate_data => TRUE)"));
    MappingRule r = rule();
    r.hypertable = true;
    // With a hypertable TimescaleDB indexes the time column itself.
    QCOMPARE(MappingSchema::createStatements(r, Dialect::Postgres).size(), 2);
}

QTEST_APPLESS_MAIN(TstMappingSchema)
#include "tst_mappingschema.moc"
