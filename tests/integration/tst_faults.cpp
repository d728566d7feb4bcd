// SPDX-License-Identifier: MIT
// Faults end to end through the real binary, real mosquitto and real PostgreSQL: bad payloads, a database outage,
// a broker restart, SIGTERM mid-stream and bad configuration. Every check is by sequence number.
#include "backgroundpublisher.h"
#include "publisher.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "taggedrun.h"
#include "testenv.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

class TstFaults final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hostilePayloadsAreDeadLettered_data();
    void hostilePayloadsAreDeadLettered();
    void postgresOutageLosesNothing();
    void brokerRestartReconnects();
    void sigtermCommitsEverythingReceived();
    void badConfigurationExitsTwo_data();
    void badConfigurationExitsTwo();
};

void TstFaults::hostilePayloadsAreDeadLettered_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("postgresql") << true;
    QTest::newRow("sqlite") << false;
}

void TstFaults::hostilePayloadsAreDeadLettered()
{
    QFETCH(bool, postgres);
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/dead-XXXXXX"));
    const QString tag = postgres ? QStringLiteral("dead_pg") : QStringLiteral("dead_lite");
    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : dir.filePath(QStringLiteral("dead.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraSubscriberKeys = QStringLiteral("max_payload_bytes = 1000\n");
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    struct Bad { QByteArray payload; QString reason; };
    const QList<Bad> bad = {
        {QByteArrayLiteral("{\"seq\": 1, \"t\": 21.5"), QStringLiteral("invalid_json")},
        {QByteArray(), QStringLiteral("empty")},
        {QByteArrayLiteral("{\"name\": \"caf\xE9\"}"), QStringLiteral("invalid_utf8")},
        {QByteArrayLiteral("{\"name\": \"a\\u0000b\"}"), QStringLiteral("nul_character")},
        {QByteArray("{\"a\":\0}", 7), QStringLiteral("nul_character")},
        {QByteArray(200, '[') + QByteArray(200, ']'), QStringLiteral("too_deep")},
        {"{\"pad\":\"" + QByteArray(2000, 'x') + "\"}", QStringLiteral("too_large")},
    };
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY2(pub.connect(), qPrintable(pub.lastError()));
    for (int i = 1; i <= 50; ++i) {
        const QByteArray good = QByteArrayLiteral("{\"seq\":") + QByteArray::number(i) + QByteArrayLiteral(",\"t\":20.5}");
        QVERIFY(pub.publish((tag + QStringLiteral("/good")).toUtf8(), good, 1));
        if (i <= bad.size())
            QVERIFY(pub.publish((tag + QStringLiteral("/bad/%1").arg(i)).toUtf8(), bad[i - 1].payload, 1));
    }
    // A topic that looks like SQL is just a topic: stored verbatim, nothing executed.
    const QString sqlTopic = tag + QStringLiteral("/x'); DROP TABLE readings; --");
    QVERIFY(pub.publish(sqlTopic.toUtf8(), "{\"seq\":51}", 1));
    QVERIFY(pub.waitAllDelivered(10000));
    pub.disconnect();

    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("dead_letters")), qint64(bad.size()), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(51), 20000);
    QCOMPARE(probe.scalar(QStringLiteral("SELECT topic FROM readings WHERE topic LIKE '%DROP TABLE%'")), sqlTopic);
    const auto letters = probe.deadLetters();
    QCOMPARE(letters.size(), bad.size());
    for (const auto &[topic, reason] : letters) {
        const int i = topic.section(QLatin1Char('/'), -1).toInt();
        QVERIFY2(i >= 1 && i <= bad.size(), qPrintable(topic));
        QVERIFY2(reason.startsWith(bad[i - 1].reason), qPrintable(topic + QStringLiteral(": ") + reason));
    }
    // Dead letters keep the payload byte for byte.
    const QString stored = probe.scalar(postgres
        ? QStringLiteral("SELECT encode(payload, 'hex') FROM dead_letters WHERE topic = '%1/bad/3'").arg(tag)
        : QStringLiteral("SELECT hex(payload) FROM dead_letters WHERE topic = '%1/bad/3'").arg(tag));
    QCOMPARE(stored.toLower(), QString::fromLatin1(bad[2].payload.toHex()));
    QVERIFY(SeqReport::check(probe.seqCounts(), 1, 50).missing == 0);
    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

void TstFaults::postgresOutageLosesNothing()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 10000;
    TaggedRun run(srv, QStringLiteral("pg_outage"));
    QVERIFY2(run.start(true), qPrintable(run.sub.log()));

    BackgroundPublisher publisher(simulation(srv, run.tag, Count, 2500));
    QTRY_VERIFY_WITH_TIMEOUT(run.probe.count() > 1000, 20000);
    QString out;
    QVERIFY2(srv.stopPostgres(&out), qPrintable(out));
    QTest::qWait(3000);
    const bool noticed = run.sub.log().contains(QStringLiteral("database unavailable"));
    QVERIFY2(srv.startPostgres(&out), qPrintable(out));
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QVERIFY2(noticed, "the subscriber did not report the outage");
    QVERIFY2(run.sub.isRunning(), "the subscriber must survive a database outage");

    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(), qint64(Count), 60000);
    const SeqReport report = SeqReport::check(run.probe.seqCounts(), 1, Count);
    qInfo("after a PostgreSQL outage: %s", qPrintable(report.describe()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0, qPrintable(report.describe()));
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
}

void TstFaults::brokerRestartReconnects()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 4000;
    TaggedRun run(srv, QStringLiteral("broker_restart"));
    const QString brokerDir = run.dir.filePath(QStringLiteral("broker"));
    const int port = freePort();
    QString out;
    QVERIFY2(srv.startBroker(brokerDir, port, &out), qPrintable(out));
    run.setup.mqttPort = port;
    QVERIFY2(run.start(), qPrintable(run.sub.log()));

    BackgroundPublisher publisher(simulation(srv, run.tag, Count, 1000, port));
    QTRY_VERIFY_WITH_TIMEOUT(run.probe.count() > 500, 20000);
    QVERIFY2(srv.stopBroker(brokerDir, &out), qPrintable(out));
    QTest::qWait(1000);
    QVERIFY2(srv.startBroker(brokerDir, port, &out), qPrintable(out));
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QVERIFY2(run.sub.waitForLog(QStringLiteral("retry 1"), 1000), qPrintable(run.sub.log()));

    QTRY_VERIFY_WITH_TIMEOUT(SeqReport::check(run.probe.seqCounts(), 1, Count).missing == 0, 60000);
    const SeqReport report = SeqReport::check(run.probe.seqCounts(), 1, Count);
    // QoS 1 is at-least-once: a PUBACK lost with the broker may bring a redelivery; count it, never a gap.
    qInfo("after a broker restart: %s", qPrintable(report.describe()));
    QCOMPARE(report.unexpected, qint64(0));
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
    srv.stopBroker(brokerDir);
}

void TstFaults::sigtermCommitsEverythingReceived()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 20000;
    TaggedRun run(srv, QStringLiteral("sigterm"));
    run.setup.flushInterval = 5;  // long, so that SIGTERM finds an open batch to hand over
    QVERIFY2(run.start(), qPrintable(run.sub.log()));

    BackgroundPublisher publisher(simulation(srv, run.tag, Count, 5000));
    QTRY_VERIFY_WITH_TIMEOUT(run.probe.count() > 2000, 20000);
    run.sub.terminate();
    QVERIFY(run.sub.waitForFinished(20000));
    QCOMPARE(run.sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.sub.exitCode(), 0);
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(run.sub.log(), b), qPrintable(run.sub.log().right(2000)));
    QCOMPARE(b.inFlight, qint64(0));
    QCOMPARE(b.dropped, qint64(0));
    QCOMPARE(b.written, b.received);
    QCOMPARE(run.probe.count(), b.written);

    // The persistent session kept the rest at the broker: a restart picks it up, with nothing lost or doubled.
    QVERIFY(run.sub.start(subscriberConfig(srv, run.setup)));
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(), qint64(Count), 60000);
    const SeqReport report = SeqReport::check(run.probe.seqCounts(), 1, Count);
    QVERIFY2(report.missing == 0 && report.duplicated == 0, qPrintable(report.describe()));
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
}

void TstFaults::badConfigurationExitsTwo_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("string for integer")
        << QByteArrayLiteral("[mqtt]\nhost = \"localhost\"\n\n[subscriber]\nflush_interval = 5\n\nbatch_size = \"20\"\n")
        << QStringLiteral("config.toml:7:14: subscriber.batch_size: expected a positive integer, got \"20\"");
    QTest::newRow("unknown key")
        << QByteArrayLiteral("[mqtt]\nhots = \"localhost\"\n")
        << QStringLiteral("config.toml:2:1: mqtt.hots: unknown key");
    QTest::newRow("syntax error") << QByteArrayLiteral("[mqtt\nhost = 1\n") << QStringLiteral("config.toml:1:");
}

void TstFaults::badConfigurationExitsTwo()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("config.toml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(toml + QByteArrayLiteral("[database]\ndriver = \"sqlite\"\npath = \"must-not-exist.sqlite\"\n"));
    f.close();
    QProcess p;
    p.setWorkingDirectory(dir.path());
    p.start(subscriberBinary(), {QStringLiteral("--no-gui"), QStringLiteral("--config"), QStringLiteral("config.toml")});
    QVERIFY(p.waitForFinished(10000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitCode(), 2);
    QVERIFY2(err.contains(expected), qPrintable(err));
    // Nothing was touched: no database file appeared.
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("must-not-exist.sqlite"))));

    QProcess usage;
    usage.start(subscriberBinary(), {QStringLiteral("--no-such-flag")});
    QVERIFY(usage.waitForFinished(10000));
    QCOMPARE(usage.exitCode(), 2);
}

QTEST_GUILESS_MAIN(TstFaults)
#include "tst_faults.moc"
