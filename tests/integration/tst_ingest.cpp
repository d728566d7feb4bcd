// SPDX-License-Identifier: MIT
// End to end through the real binary: simulator → mosquitto → iot-subscriber → PostgreSQL / SQLite, checked by
// sequence number (none missing, none duplicated).
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

class TstIngest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tenThousandMessages_data();
    void tenThousandMessages();
    void checkConfigMasksSecrets();
};

void TstIngest::tenThousandMessages_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::addColumn<int>("qos");
    QTest::addColumn<bool>("mqtt5");
    QTest::newRow("postgresql qos0") << true << 0 << false;
    QTest::newRow("postgresql qos1") << true << 1 << false;
    QTest::newRow("postgresql qos1 mqtt5") << true << 1 << true;
    QTest::newRow("sqlite qos0") << false << 0 << false;
    QTest::newRow("sqlite qos1") << false << 1 << false;
}

void TstIngest::tenThousandMessages()
{
    QFETCH(bool, postgres);
    QFETCH(int, qos);
    QFETCH(bool, mqtt5);
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 10000;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/ingest-XXXXXX"));
    QVERIFY(dir.isValid());
    const QString tag = QStringLiteral("ingest_%1_q%2%3")
                            .arg(postgres ? QStringLiteral("pg") : QStringLiteral("lite"))
                            .arg(qos)
                            .arg(mqtt5 ? QStringLiteral("_v5") : QString());

    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : dir.filePath(QStringLiteral("readings.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.qos = qos;
    setup.clientId = tag;
    setup.mqtt5 = mqtt5;
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));

    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to ") + setup.topic, 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));
    if (mqtt5)
        QVERIFY2(sub.log().contains(QStringLiteral("(MQTT 5, persistent session)")), qPrintable(sub.log()));

    // Several topics: 20 sensors in 4 rooms → 20 distinct topics under the test's prefix.
    SimOptions sim;
    sim.publish.host = srv.mqttHost;
    sim.publish.port = srv.mqttPort;
    sim.publish.qos = qos;
    sim.publish.protocolVersion = mqtt5 ? 5 : 4;
    sim.payload.topicPrefix = tag.toUtf8();
    sim.payload.sensors = 20;
    sim.count = Count;
    sim.quiet = true;
    QElapsedTimer clock;
    clock.start();
    const SimStats stats = runSimulation(sim);
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));

    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 60000);
    const double seconds = clock.elapsed() / 1000.0;
    qInfo("%s: %llu messages stored in %.2f s (%.0f rows/s end to end; publisher %.0f msgs/s)", qPrintable(tag),
          Count, seconds, Count / seconds, stats.rate);

    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 0);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QCOMPARE(probe.count(QStringLiteral("dead_letters")), qint64(0));
    // Every row names one of the 20 topics.
    const QString topics = probe.scalar(QStringLiteral("SELECT count(DISTINCT topic) FROM readings"));
    QCOMPARE(topics.toInt(), 20);
    FinalBalance balance;
    QVERIFY2(FinalBalance::parse(sub.log(), balance), qPrintable(sub.log().right(2000)));
    QCOMPARE(balance.written, qint64(Count));
    QCOMPARE(balance.dropped, qint64(0));
}

void TstIngest::checkConfigMasksSecrets()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/check-XXXXXX"));
    SubscriberSetup setup;
    setup.database = QStringLiteral("unused");
    setup.clientId = QStringLiteral("check");
    const QString path = dir.filePath(QStringLiteral("c.toml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(subscriberConfig(srv, setup).toUtf8());
    f.close();
    QString out;
    QVERIFY2(runProgram(subscriberBinary(), {QStringLiteral("--check-config"), QStringLiteral("--config"), path}, 10000,
                        &out),
             qPrintable(out));
    QVERIFY2(!out.contains(srv.pgPassword), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("********")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("driver = \"postgresql\"")), qPrintable(out));
}

QTEST_GUILESS_MAIN(TstIngest)
#include "tst_ingest.moc"
