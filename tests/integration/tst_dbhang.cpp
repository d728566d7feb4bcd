// SPDX-License-Identifier: MIT
// A database host that stops answering mid-stream, end to end through the real binary, mosquitto and PostgreSQL:
// the subscriber talks to PostgreSQL through a proxy of the test's own that freezes (connections stay open, nothing
// is forwarded, no reset — and its kernel still ACKs, so TCP options alone never notice). /readyz turns 503 with the
// cause within the stated bound and everything arrives once after the thaw; a SIGTERM during the freeze ends the
// process within shutdown_timeout_sec + 5 s, and a restart stores every sequence number exactly once.
#include "backgroundpublisher.h"
#include "freezableproxy.h"
#include "httpclient.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

/// /readyz's answer: its HTTP status and the database's cause ("" when it names none).
QPair<int, QString> readiness(int port)
{
    const HttpResult r = httpGet(quint16(port), "/readyz");
    return {r.status, QJsonDocument::fromJson(r.body).object().value(QStringLiteral("database_cause")).toString()};
}

/// A subscriber whose database is reached through `proxy`, with a spool and /metrics, /readyz on `port`.
QString configVia(const Servers &srv, const FreezableProxy &proxy, const QString &tag, const QString &spoolDir,
                  int port, const QString &databaseKeys, const QString &subscriberKeys = {})
{
    Servers viaProxy = srv;
    viaProxy.pgHost = QStringLiteral("127.0.0.1");
    viaProxy.pgPort = proxy.port();
    SubscriberSetup s;
    s.database = tag;
    s.topic = tag + QStringLiteral("/#");
    s.clientId = tag;
    s.prometheusPort = port;
    s.extraDatabaseKeys = databaseKeys;
    s.extraSubscriberKeys = subscriberKeys;
    s.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(spoolDir);
    return subscriberConfig(viaProxy, s);
}

const QByteArray ReceivedTotal = "iot_subscriber_messages_received_total";

} // namespace

class TstDbHang final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frozenDatabaseIsNoticedAndCaughtUpAfterTheThaw();
    void sigtermDuringTheFreezeEndsInTimeAndKeepsTheSpool();
};

void TstDbHang::frozenDatabaseIsNoticedAndCaughtUpAfterTheThaw()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 20000;
    // The bound /readyz keeps (README, reply_timeout_sec): reply_timeout_sec + 2 s (+ 1 s per MiB of the
    // transaction: nothing at 500-row batches) for the write in progress, + 0.25 s for the snapshot; 1 s to spare.
    constexpr int ReplyTimeoutSec = 2;
    constexpr qint64 BoundMs = (ReplyTimeoutSec + 2) * 1000 + 250 + 1000;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/dbfrozen-XXXXXX"));
    const QString tag = QStringLiteral("db_frozen");
    FreezableProxy proxy(srv.pgHost, srv.pgPort);
    QVERIFY(proxy.port() > 0);
    const int port = freePort();
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(configVia(srv, proxy, tag, dir.filePath(QStringLiteral("spool")), port,
                                QStringLiteral("reply_timeout_sec = %1\n").arg(ReplyTimeoutSec))));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));

    BackgroundPublisher publisher(simulation(srv, tag, Count, 2000));
    QTRY_VERIFY_WITH_TIMEOUT(probe.count() > 2000, 20000);
    QCOMPARE(readiness(port), qMakePair(200, QString()));
    proxy.freeze();
    QElapsedTimer frozen;
    frozen.start();
    // Before the fix: 200 for as long as the kernel's retransmissions last (~15 min), the writer blocked in libpq.
    QTRY_COMPARE_WITH_TIMEOUT(readiness(port), qMakePair(503, QStringLiteral("not_answering")), int(BoundMs) + 3000);
    const qint64 noticedMs = frozen.elapsed();
    QVERIFY2(noticedMs <= BoundMs, qPrintable(QString::number(noticedMs)));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_connection_up{target=\"database\"}"), 0.0);
    const qint64 storedWhenFrozen = probe.count();

    // Still frozen: reconnects time out (connect_timeout_sec, 2 s in the tests), ingestion goes on into the spool, nothing is written.
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, ReceivedTotal), double(Count), 10000);
    QCOMPARE(readiness(port).first, 503);
    QVERIFY(sub.isRunning());
    const qint64 frozenMs = frozen.elapsed();

    proxy.thaw();
    QElapsedTimer thawed;
    thawed.start();
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 60000);
    const qint64 caughtUpMs = thawed.elapsed();
    QTRY_COMPARE_WITH_TIMEOUT(readiness(port), qMakePair(200, QString()), 20000);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    qInfo("database frozen after %lld of %llu rows: /readyz 503 not_answering after %lld ms (bound %lld ms); frozen "
          "for %lld ms; all rows stored %lld ms after the thaw; %s",
          storedWhenFrozen, Count, noticedMs, BoundMs, frozenMs, caughtUpMs, qPrintable(report.describe()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QVERIFY2(sub.stopCleanly(30000), qPrintable(sub.log().right(2000)));
}

void TstDbHang::sigtermDuringTheFreezeEndsInTimeAndKeepsTheSpool()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 5000;
    constexpr int ShutdownTimeoutSec = 3;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/dbfrozenterm-XXXXXX"));
    const QString tag = QStringLiteral("db_frozen_sigterm");
    FreezableProxy proxy(srv.pgHost, srv.pgPort);
    QVERIFY(proxy.port() > 0);
    const int port = freePort();
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    // A reply timeout far beyond the test: only the shutdown deadline can end the hang.
    const QString config = configVia(srv, proxy, tag, dir.filePath(QStringLiteral("spool")), port,
                                     QStringLiteral("reply_timeout_sec = 120\n"),
                                     QStringLiteral("shutdown_timeout_sec = %1\n").arg(ShutdownTimeoutSec));
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(config));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));

    BackgroundPublisher publisher(simulation(srv, tag, Count, 2500));
    QTRY_VERIFY_WITH_TIMEOUT(probe.count() > 500, 20000);
    proxy.freeze();
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, ReceivedTotal), double(Count), 10000);
    const qint64 storedWhenStopped = probe.count();
    QVERIFY2(storedWhenStopped < qint64(Count), qPrintable(QString::number(storedWhenStopped)));

    QElapsedTimer stopping;
    stopping.start();
    sub.terminate();
    // Before the fix: still running, the shutdown timer waiting on the writer thread that libpq blocks.
    QVERIFY2(sub.waitForFinished((ShutdownTimeoutSec + 5) * 1000), qPrintable(sub.log().right(2000)));
    const qint64 stopMs = stopping.elapsed();
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 0);  // with a spool nothing is lost: what was not written waits there
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(sub.log(), b), qPrintable(sub.log().right(2000)));
    QCOMPARE(b.dropped, qint64(0));
    QVERIFY2(b.inFlight > 0, qPrintable(sub.log().right(2000)));

    // The database answers again: a restart replays the spool, every sequence number exactly once.
    proxy.thaw();
    QVERIFY(sub.start(config));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 60000);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    qInfo("SIGTERM with the database frozen (%lld of %llu rows stored, %lld in flight): exited %lld ms later "
          "(shutdown_timeout_sec %d); after a restart: %s",
          storedWhenStopped, Count, b.inFlight, stopMs, ShutdownTimeoutSec, qPrintable(report.describe()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QVERIFY2(sub.stopCleanly(30000), qPrintable(sub.log().right(2000)));
}

QTEST_GUILESS_MAIN(TstDbHang)
#include "tst_dbhang.moc"
