// SPDX-License-Identifier: MIT
// [[mappings]] end to end through the real binary: a mixed stream over several topic layouts lands in the right
// tables and typed columns, duplicates appear once, bad values are dead-lettered, conflicting tables are refused.
#include "publisher.h"
#include "readingsprobe.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

QString mappings(const QString &prefix, bool hypertable = false)
{
    return QStringLiteral(R"(
[[mappings]]
name = "lab"
topics = ["%1/lab/{room}/{sensor}/telemetry"]
table = "telemetry"
unique = ["sensor", "device_time"]
time_column = "device_time"
max_clock_skew_sec = 86400
hypertable = %2

[[mappings.columns]]
name = "room"
source = "topic:room"

[[mappings.columns]]
name = "sensor"
source = "topic:sensor"
required = true

[[mappings.columns]]
name = "temperature"
source = "/temperature"
type = "double"
required = true

[[mappings.columns]]
name = "seq"
source = "/seq"
type = "integer"

[[mappings.columns]]
name = "ok"
source = "/ok"
type = "boolean"

[[mappings.columns]]
name = "device_time"
source = "/ts"
type = "timestamptz"
time_format = "epoch_ms"
required = true

[[mappings.columns]]
name = "received_at"
source = "received_at"

[[mappings]]
name = "power"
topics = ["%1/power/{meter}"]
table = "power"

[[mappings.columns]]
name = "meter"
source = "topic:meter"

[[mappings.columns]]
name = "watts"
source = "value"
type = "double"
required = true
)")
        .arg(prefix, hypertable ? QStringLiteral("true") : QStringLiteral("false"));
}

QByteArray topic(const QString &s)
{
    return s.toUtf8();
}

} // namespace

class TstMapping final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mixedStreamLandsInTypedColumns_data();
    void mixedStreamLandsInTypedColumns();
    void conflictingTableIsRefused();
    void hypertableNeedsTimescale();
};

void TstMapping::mixedStreamLandsInTypedColumns_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("postgresql") << true;
    QTest::newRow("sqlite") << false;
}

void TstMapping::mixedStreamLandsInTypedColumns()
{
    QFETCH(bool, postgres);
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/mapping-XXXXXX"));
    const QString tag = postgres ? QStringLiteral("map_pg") : QStringLiteral("map_lite");
    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : dir.filePath(QStringLiteral("map.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraToml = mappings(tag);
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));

    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY2(pub.connect(), qPrintable(pub.lastError()));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto lab = [&](int i) -> QByteArray {
        return QByteArrayLiteral("{\"temperature\":") + QByteArray::number(20 + i % 10) + QByteArrayLiteral(".5,\"seq\":")
            + QByteArray::number(i) + QByteArrayLiteral(",\"ok\":true,\"ts\":") + QByteArray::number(now - 1000 + i)
            + '}';
    };
    for (int i = 0; i < 200; ++i)
        QVERIFY(pub.publish(topic(tag + QStringLiteral("/lab/r%1/s-%2/telemetry").arg(i % 3).arg(i % 7)), lab(i), 1));
    for (int i = 0; i < 50; ++i)  // the same readings again: a redelivery
        QVERIFY(pub.publish(topic(tag + QStringLiteral("/lab/r%1/s-%2/telemetry").arg(i % 3).arg(i % 7)), lab(i), 1));
    for (int i = 0; i < 40; ++i)
        QVERIFY(pub.publish(topic(tag + QStringLiteral("/power/m%1").arg(i % 4)), QByteArray::number(100 + i) + ".25", 1));
    for (int i = 0; i < 20; ++i)
        QVERIFY(pub.publish(topic(tag + QStringLiteral("/other/%1").arg(i)), "{\"x\":1}", 1));
    for (int i = 0; i < 5; ++i)
        QVERIFY(pub.publish(topic(tag + QStringLiteral("/lab/r1/s-bad/telemetry")),
                            "{\"temperature\":\"hot\",\"ts\":" + QByteArray::number(now + i) + '}', 1));
    QVERIFY(pub.waitAllDelivered(10000));
    pub.disconnect();

    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("telemetry")), qint64(200), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("power")), qint64(40), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("readings")), qint64(20), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("dead_letters")), qint64(5), 20000);
    QTest::qWait(300);
    QCOMPARE(probe.count(QStringLiteral("telemetry")), qint64(200));  // duplicates never became rows

    // Typed columns: numbers are numbers, times are times.
    QCOMPARE(probe.scalar(QStringLiteral("SELECT sum(seq) FROM telemetry")).toLongLong(), qint64(199 * 200 / 2));
    QCOMPARE(probe.scalar(QStringLiteral("SELECT sum(watts) FROM power")).toDouble(), 40 * 100.25 + 39 * 40 / 2);
    int r2s3 = 0;
    for (int i = 0; i < 200; ++i)
        r2s3 += (i % 3 == 2 && i % 7 == 3);
    QCOMPARE(probe.scalar(QStringLiteral("SELECT count(*) FROM telemetry WHERE room = 'r2' AND sensor = 's-3'")).toInt(),
             r2s3);
    if (postgres) {
        QCOMPARE(probe.scalar(QStringLiteral("SELECT pg_typeof(temperature)::text FROM telemetry LIMIT 1")),
                 QStringLiteral("double precision"));
        QCOMPARE(probe.scalar(QStringLiteral("SELECT (extract(epoch FROM device_time) * 1000)::bigint FROM telemetry "
                                             "WHERE seq = 7")).toLongLong(),
                 now - 1000 + 7);
        QCOMPARE(probe.scalar(QStringLiteral("SELECT bool_and(ok)::text FROM telemetry")), QStringLiteral("true"));
    } else {
        QCOMPARE(probe.scalar(QStringLiteral("SELECT typeof(temperature) FROM telemetry LIMIT 1")), QStringLiteral("real"));
        QVERIFY(probe.scalar(QStringLiteral("SELECT device_time FROM telemetry WHERE seq = 7")).endsWith(u'Z'));
    }
    const auto letters = probe.deadLetters();
    QCOMPARE(letters.size(), 5);
    for (const auto &[t, reason] : letters)
        QVERIFY2(reason.contains(QStringLiteral("column temperature (/temperature): expected a number, got \"hot\"")),
                 qPrintable(reason));

    // Later redeliveries, in transactions of their own, mixed with new readings: the new ones land, the old ones
    // are counted as deduplicated (whether the direct COPY or the staging path takes them).
    // A new connection (a libmosquitto handle is not reliably reconnectable after loop_stop).
    Publisher again(po);
    QVERIFY2(again.connect(), qPrintable(again.lastError()));
    for (int i = 150; i < 210; ++i)
        QVERIFY(again.publish(topic(tag + QStringLiteral("/lab/r%1/s-%2/telemetry").arg(i % 3).arg(i % 7)), lab(i), 1));
    QVERIFY(again.waitAllDelivered(10000));
    again.disconnect();
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("telemetry")), qint64(210), 20000);
    QCOMPARE(probe.scalar(QStringLiteral("SELECT count(DISTINCT seq) FROM telemetry")).toInt(), 210);

    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
    const QString finalLine = sub.log().section(QStringLiteral("stopped: "), -1);
    QVERIFY2(finalLine.contains(QStringLiteral("+ deduplicated 100 +")), qPrintable(finalLine));
}

void TstMapping::conflictingTableIsRefused()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/conflict-XXXXXX"));
    const QString tag = QStringLiteral("map_conflict");
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraToml = mappings(tag);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    probe.scalar(QStringLiteral("CREATE TABLE telemetry (room text, sensor text, temperature text, seq bigint, "
                                "ok boolean, device_time timestamptz, received_at timestamptz); SELECT 1"));
    QCOMPARE(probe.count(QStringLiteral("telemetry")), qint64(0));
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY(sub.waitForFinished(20000));
    QCOMPARE(sub.exitCode(), 2);
    QVERIFY2(sub.log().contains(QStringLiteral("telemetry.temperature: is text in the existing table, the mapping wants "
                                               "double precision")),
             qPrintable(sub.log()));
    // Never half-applied: the other rule's table was not created either.
    QCOMPARE(probe.count(QStringLiteral("power")), qint64(-1));
}

void TstMapping::hypertableNeedsTimescale()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/hyper-XXXXXX"));
    const QString tag = QStringLiteral("map_hyper");
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraToml = mappings(tag, true);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY(sub.waitForFinished(20000));
    QCOMPARE(sub.exitCode(), 2);
    QVERIFY2(sub.log().contains(QStringLiteral("needs the TimescaleDB extension")), qPrintable(sub.log()));
    QCOMPARE(probe.count(QStringLiteral("telemetry")), qint64(-1));
}

QTEST_GUILESS_MAIN(TstMapping)
#include "tst_mapping.moc"
