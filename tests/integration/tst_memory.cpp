// SPDX-License-Identifier: MIT
// Memory bounded in bytes, end to end through the real binary, mosquitto and PostgreSQL: 4 KB payloads arrive while
// the database is down. The message bound (50,000 by default) alone let the whole backlog stay in memory (peak RSS
// 553 MB for 60,000 such messages); max_buffered_mb (64 MiB by default) sends it to the spool instead. When the
// database returns, every sequence number is stored once. And with MQTT 5, max_payload_bytes becomes the maximum
// packet size we announce: the broker keeps a far larger message from us (libmosquitto would allocate it whole).
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "readingsprobe.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

/// The peak resident set (VmHWM) of a running process, in KiB (-1: gone).
qint64 peakResidentKiB(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').constFirst().toLongLong();
    return -1;
}

} // namespace

class TstMemory final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void largePayloadsThroughAnOutageStayWithinTheByteBound();
    void mqtt5BrokerKeepsPacketsBeyondMaxPayloadBytes();
};

void TstMemory::largePayloadsThroughAnOutageStayWithinTheByteBound()
{
    IOT_REQUIRE_SERVERS(srv);
    // 40,000 × 4 KiB: 160 MiB of payloads, fewer messages than max_buffered_messages, so before the byte bound all
    // of them stayed in memory (well above PeakLimitKiB); now at most 64 MiB do, the rest waits in the spool.
    constexpr quint64 Count = 40000;
    constexpr int PayloadBytes = 4096;
    constexpr qint64 PeakLimitKiB = 150 * 1024;
    QElapsedTimer clock;
    clock.start();
    QTemporaryDir dir(srv.tmp + QStringLiteral("/membytes-XXXXXX"));
    const QString tag = QStringLiteral("mem_bytes");
    const int port = freePort();
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.prometheusPort = port;
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")));
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QString out;
    QVERIFY2(srv.stopPostgres(&out), qPrintable(out));
    bool postgresDown = true;  // a failure below must not leave the shared server stopped for the next tests
    const auto restartPostgres = qScopeGuard([&] {
        if (postgresDown)
            srv.startPostgres();
    });
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_buffer_limit_bytes"), double(64 << 20));

    SimOptions sim = simulation(srv, tag, Count, 0, 0, 50);
    sim.payload.payloadSize = PayloadBytes;
    BackgroundPublisher publisher(sim);
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    // Everything reaches the subscriber while the database is still down: nothing waits at the broker.
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_messages_received_total"), double(Count), 60000);
    const double heldBytes = scrapeMetric(port, "iot_subscriber_buffer_bytes");
    QVERIFY2(heldBytes >= 0 && heldBytes <= double(64 << 20), qPrintable(QString::number(heldBytes)));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_reading_paused"), 0.0);
    const qint64 outagePeakKiB = peakResidentKiB(sub.pid());
    const qint64 outageMs = clock.elapsed();

    QVERIFY2(srv.startPostgres(&out), qPrintable(out));
    postgresDown = false;
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 120000);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    const qint64 peakKiB = peakResidentKiB(sub.pid());
    qInfo("PostgreSQL down while %llu messages of %d bytes arrive: peak RSS %lld KiB by the end of the outage "
          "(%lld ms), %lld KiB after the backlog was written; %s; %lld ms in all",
          Count, PayloadBytes, outagePeakKiB, outageMs, peakKiB, qPrintable(report.describe()),
          qint64(clock.elapsed()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QVERIFY2(outagePeakKiB > 0 && peakKiB > 0, qPrintable(sub.log().right(2000)));
    QVERIFY2(peakKiB < PeakLimitKiB, qPrintable(QStringLiteral("peak RSS %1 KiB").arg(peakKiB)));
    QVERIFY2(sub.stopCleanly(30000), qPrintable(sub.log().right(2000)));
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(sub.log(), b), qPrintable(sub.log().right(2000)));
    QCOMPARE(b.dropped, qint64(0));
}

void TstMemory::mqtt5BrokerKeepsPacketsBeyondMaxPayloadBytes()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/maxpacket-XXXXXX"));
    const QString tag = QStringLiteral("max_packet");
    const int port = freePort();
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.mqtt5 = true;
    setup.prometheusPort = port;
    setup.extraSubscriberKeys = QStringLiteral("max_payload_bytes = 1000\n");
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")));
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));

    // Over max_payload_bytes but within the announced packet size (it + 64 KiB): arrives and is dead-lettered with
    // its reason. 200 KB: the broker discards it for us. Then an ordinary one, to know the others had their turn.
    const auto publish = [&](const QString &name, const QByteArray &payload) {
        const QString file = dir.filePath(name);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(payload);
        f.close();
        QString out;
        QVERIFY2(runProgram(QStringLiteral("mosquitto_pub"),
                            {QStringLiteral("-h"), srv.mqttHost, QStringLiteral("-p"), QString::number(srv.mqttPort),
                             QStringLiteral("-q"), QStringLiteral("1"), QStringLiteral("-V"), QStringLiteral("5"),
                             QStringLiteral("-t"), tag + QLatin1Char('/') + name, QStringLiteral("-f"), file},
                            10000, &out),
                 qPrintable(out));
    };
    publish(QStringLiteral("over"), "{\"x\":\"" + QByteArray(1100, 'o') + "\"}");
    publish(QStringLiteral("huge"), "{\"x\":\"" + QByteArray(200000, 'h') + "\"}");
    publish(QStringLiteral("small"), QByteArrayLiteral("{\"seq\":1}"));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(1), 15000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.deadLetters().size(), 1, 10000);
    QCOMPARE(probe.deadLetters().constFirst().first, tag + QStringLiteral("/over"));
    // The metrics follow the snapshot, taken every 250 ms. The 200 KB one never came.
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_messages_received_total"), 2.0, 5000);
    QVERIFY2(sub.stopCleanly(30000), qPrintable(sub.log().right(2000)));
}

QTEST_GUILESS_MAIN(TstMemory)
#include "tst_memory.moc"
