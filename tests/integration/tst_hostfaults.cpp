// SPDX-License-Identifier: MIT
// Faults of the host the subscriber runs on, end to end through the real binary, mosquitto and PostgreSQL: the
// spool's disk fills up during a database outage (an 8 MiB tmpfs in a private mount namespace), fdatasync fails
// (an LD_PRELOAD shim), and a SIGPIPE arrives. The process stays alive and every sequence number arrives once.
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "taggedrun.h"
#include "testenv.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace iot;
using namespace iot::test;

namespace {

/// /readyz's answer: its HTTP status and its "spool" state ("" when it names none).
QPair<int, QString> readiness(int port)
{
    const HttpResult r = httpGet(quint16(port), "/readyz");
    return {r.status, QJsonDocument::fromJson(r.body).object().value(QStringLiteral("spool")).toString()};
}

SubscriberSetup setupFor(const QString &tag, const QString &spoolDir, int prometheusPort)
{
    SubscriberSetup s;
    s.database = tag;
    s.topic = tag + QStringLiteral("/#");
    s.clientId = tag;
    s.prometheusPort = prometheusPort;
    s.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(spoolDir);
    return s;
}

/// Why the subscriber is gone: how it ended and the end of its log.
QString ended(const SubscriberProcess &sub)
{
    return QStringLiteral("the subscriber ended: %1 %2\n%3")
        .arg(sub.exitStatus() == QProcess::CrashExit ? QStringLiteral("killed by signal") : QStringLiteral("exit code"))
        .arg(sub.exitCode())
        .arg(sub.log().right(2000));
}

/// How often `needle` occurs in `log`.
int occurrences(const QString &log, const QString &needle)
{
    return int(log.count(needle));
}

} // namespace

class TstHostFaults final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullSpoolDiskIsAStateNotACrash();
    void failedFdatasyncIsCountedAndLosesNothing();
    void sigpipeIsIgnored();
};

void TstHostFaults::fullSpoolDiskIsAStateNotACrash()
{
    IOT_REQUIRE_SERVERS(srv);
    // A tmpfs of our own needs root and a private mount namespace (CI runs as root); elsewhere this is a skip.
    const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
    if (::geteuid() != 0 || unshare.isEmpty()) {
        if (qEnvironmentVariable("CI") == QLatin1String("true"))
            QFAIL("needs root and unshare(1) to mount a small tmpfs for the spool");
        QSKIP("needs root and unshare(1) to mount a small tmpfs for the spool");
    }
    // ~150 bytes a record: an 8 MiB disk holds ~55,000; the rest must wait in memory (up to 5,000) and at the broker.
    // Default 64 MiB segments: the one segment the disk holds is the head, which the writer never releases.
    constexpr quint64 Count = 100000;
    constexpr int MaxBuffered = 5000;
    QElapsedTimer clock;
    clock.start();
    QTemporaryDir dir(srv.tmp + QStringLiteral("/diskfull-XXXXXX"));
    const QString tag = QStringLiteral("disk_full");
    const QString spoolDir = dir.filePath(QStringLiteral("spool"));
    QVERIFY(QDir().mkpath(spoolDir));
    const int port = freePort();
    SubscriberSetup setup = setupFor(tag, spoolDir, port);
    setup.extraSubscriberKeys = QStringLiteral("max_buffered_messages = %1\n").arg(MaxBuffered);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QString out;
    QVERIFY2(srv.stopPostgres(&out), qPrintable(out));
    bool postgresDown = true;  // a failure below must not leave the shared server stopped for the next tests
    const auto restartPostgres = qScopeGuard([&] {
        if (postgresDown)
            srv.startPostgres();
    });
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    // The mount lives and dies with the subscriber's own mount namespace; sh execs the binary, so pid() is its pid.
    // mode=0700: a tmpfs root is 1777 by default, a spool directory the subscriber rightly refuses.
    sub.setLauncher({unshare, QStringLiteral("-m"), QStringLiteral("--propagation"), QStringLiteral("private"),
                     QStringLiteral("sh"), QStringLiteral("-c"),
                     QStringLiteral("mount -t tmpfs -o size=8m,mode=0700 iot-spool-test '%1' && exec \"$0\" \"$@\"").arg(spoolDir)});
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    BackgroundPublisher publisher(simulation(srv, tag, Count, 0, 0, 25));
    qint64 peakKiB = 0;
    QElapsedTimer phase;
    phase.start();
    QTRY_VERIFY_WITH_TIMEOUT(!sub.isRunning()
                                 || (peakKiB = std::max(peakKiB, sub.residentKiB()),
                                     readiness(port) == qMakePair(503, QStringLiteral("disk_full"))),
                             60000);
    QVERIFY2(sub.isRunning(), qPrintable(ended(sub)));  // before the fix: SIGBUS (7) as the disk filled
    const qint64 toFullMs = phase.elapsed();
    QCOMPARE(scrapeMetric(port, "iot_subscriber_spool_state{state=\"disk_full\"}"), 1.0);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_spool_state{state=\"ok\"}"), 0.0);
    // Reading pauses at the memory bound; the broker holds the rest of what the publisher sends.
    QTRY_COMPARE_WITH_TIMEOUT((peakKiB = std::max(peakKiB, sub.residentKiB()),
                               scrapeMetric(port, "iot_subscriber_reading_paused")), 1.0, 30000);
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    const double received = scrapeMetric(port, "iot_subscriber_messages_received_total");
    const double refused = scrapeMetric(port, "iot_subscriber_spool_write_errors_total");
    QVERIFY2(received > 0 && received < double(Count), qPrintable(QString::number(received)));
    QVERIFY2(refused > 0 && refused <= MaxBuffered, qPrintable(QString::number(refused)));
    for (int i = 0; i < 4; ++i) {
        peakKiB = std::max(peakKiB, sub.residentKiB());
        QTest::qWait(250);
    }
    QCOMPARE(scrapeMetric(port, "iot_subscriber_messages_received_total"), received);
    QVERIFY2(sub.isRunning(), qPrintable(ended(sub)));
    // Logged per transition, not per message (the disk may fill once more while the backlog drains).
    const int fullLines = occurrences(sub.log(), QStringLiteral("spool disk full in"));
    QVERIFY2(fullLines >= 1 && fullLines <= 10, qPrintable(QString::number(fullLines)));
    const qint64 fullPhaseMs = phase.elapsed();

    // The database returns: everything is written, segments are released, the spool takes messages again and
    // reading resumes by itself.
    QVERIFY2(srv.startPostgres(&out), qPrintable(out));
    postgresDown = false;
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 90000);
    QTRY_COMPARE_WITH_TIMEOUT(readiness(port), qMakePair(200, QString()), 20000);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_spool_state{state=\"ok\"}"), 1.0);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_reading_paused"), 0.0);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    qInfo("spool on an 8 MiB tmpfs, PostgreSQL down, %llu messages: disk full after %lld ms, %.0f received and %.0f "
          "held in memory only by %lld ms, peak RSS %lld KiB; %s; %lld ms in all",
          Count, toFullMs, received, refused, fullPhaseMs, peakKiB, qPrintable(report.describe()),
          qint64(clock.elapsed()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 0);
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(sub.log(), b), qPrintable(sub.log().right(2000)));
    QCOMPARE(b.dropped, qint64(0));
}

void TstHostFaults::failedFdatasyncIsCountedAndLosesNothing()
{
    IOT_REQUIRE_SERVERS(srv);
    const QString shim = qEnvironmentVariable("IOT_FDATASYNC_SHIM");
    QVERIFY2(QFile::exists(shim), qPrintable(QStringLiteral("no fdatasync shim at '%1'").arg(shim)));
    constexpr quint64 Count = 20000;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/syncfail-XXXXXX"));
    const QString tag = QStringLiteral("sync_fail");
    const QString failFile = dir.filePath(QStringLiteral("fail-fdatasync"));
    const int port = freePort();
    const SubscriberSetup setup = setupFor(tag, dir.filePath(QStringLiteral("spool")), port);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    sub.setEnvironment({QStringLiteral("LD_PRELOAD=") + shim, QStringLiteral("IOT_FDATASYNC_FAIL_FILE=") + failFile});
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_spool_sync_errors_total"), 0.0);

    BackgroundPublisher publisher(simulation(srv, tag, Count, 4000, 0, 25));
    QTRY_VERIFY_WITH_TIMEOUT(probe.count() > 2000, 20000);
    // The disk starts failing write-back: the next sync fails, and so does every retry while it lasts.
    QFile fail(failFile);
    QVERIFY(fail.open(QIODevice::WriteOnly));
    fail.close();
    QTRY_COMPARE_WITH_TIMEOUT(readiness(port), qMakePair(503, QStringLiteral("sync_error")), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_spool_sync_errors_total") >= 2, 5000);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_spool_state{state=\"sync_error\"}"), 1.0);
    const double receivedWhileFailing = scrapeMetric(port, "iot_subscriber_messages_received_total");
    QTRY_VERIFY_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_messages_received_total") > receivedWhileFailing + 1000,
                             10000);  // ingestion goes on, into memory
    QVERIFY(QFile::remove(failFile));
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_spool_state{state=\"ok\"}"), 1.0, 5000);

    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 60000);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    const double failures = scrapeMetric(port, "iot_subscriber_spool_sync_errors_total");
    qInfo("fdatasync failing for a while, %llu messages: %.0f failed syncs; %s", Count, failures,
          qPrintable(report.describe()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QVERIFY2(sub.isRunning(), qPrintable(ended(sub)));
    // Logged once per transition, not per failed call.
    QCOMPARE(occurrences(sub.log(), QStringLiteral("spool sync failed in")), 1);
    QVERIFY2(sub.stopCleanly(30000), qPrintable(sub.log().right(2000)));
}

void TstHostFaults::sigpipeIsIgnored()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 200;
    TaggedRun run(srv, QStringLiteral("sigpipe"));
    QVERIFY2(run.start(), qPrintable(run.sub.log()));

    // The disposition, as the kernel reports it: SIGPIPE's bit in the SigIgn mask.
    QFile status(QStringLiteral("/proc/%1/status").arg(run.sub.pid()));
    QVERIFY(status.open(QIODevice::ReadOnly));
    quint64 ignored = 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("SigIgn:"))
            ignored = line.mid(7).trimmed().toULongLong(nullptr, 16);
    QVERIFY2(ignored & (quint64(1) << (SIGPIPE - 1)), qPrintable(QString::number(ignored, 16)));

    // And the effect: a SIGPIPE (as a write to a socket the broker closed would raise) leaves it working.
    QCOMPARE(::kill(pid_t(run.sub.pid()), SIGPIPE), 0);
    const SimStats stats = runSimulation(simulation(srv, run.tag, Count, 0));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(), qint64(Count), 20000);
    QVERIFY(run.sub.isRunning());
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
}

QTEST_GUILESS_MAIN(TstHostFaults)
#include "tst_hostfaults.moc"
