// SPDX-License-Identifier: MIT
#include "observability/healthcheck.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace iot;

namespace {

constexpr qint64 Now = 1'700'000'000'000'000;
constexpr qint64 Second = 1'000'000;

EngineSnapshot healthy()
{
    EngineSnapshot s;
    s.startedAtUs = Now - 60 * Second;
    s.takenAtUs = Now;
    s.ingestHeartbeatUs = Now - Second;
    s.writerHeartbeatUs = Now - Second;
    s.mqtt.state = MessageSource::State::Connected;
    s.db.state = BatchWriter::State::Connected;
    s.maxBuffered = 1000;
    s.inFlight = 10;
    s.maxBufferedBytes = 64 << 20;
    s.bufferedBytes = 1 << 20;
    return s;
}

} // namespace

/// What /healthz and /readyz decide from a snapshot. Pure logic, one thread.
class TstHealthCheck final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void liveness_data();
    void liveness();
    void readiness_data();
    void readiness();
    void json();
    void jsonWithoutReasons();
};

void TstHealthCheck::liveness_data()
{
    QTest::addColumn<EngineSnapshot>("snapshot");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("reason");
    EngineSnapshot s = healthy();
    QTest::newRow("healthy") << s << true << QString();
    s = healthy();
    s.writerHeartbeatUs = Now - 9 * Second;
    QTest::newRow("slow writer, below the limit") << s << true << QString();
    s.writerHeartbeatUs = Now - 12 * Second;
    QTest::newRow("writer stalled") << s << false << QStringLiteral("writer loop stalled for 12.0 s");
    s = healthy();
    s.ingestHeartbeatUs = 0;
    QTest::newRow("ingest not running") << s << false << QStringLiteral("ingest loop not running");
    s.startedAtUs = Now - 2 * Second;
    QTest::newRow("ingest still starting") << s << true << QString();
    QTest::newRow("not started") << EngineSnapshot{} << false << QStringLiteral("engine not started");
}

void TstHealthCheck::liveness()
{
    QFETCH(EngineSnapshot, snapshot);
    QFETCH(bool, ok);
    QFETCH(QString, reason);
    const HealthCheck::Verdict v = HealthCheck::liveness(snapshot, Now, 10 * Second);
    QCOMPARE(v.ok, ok);
    QCOMPARE(v.httpStatus(), ok ? 200 : 503);
    QCOMPARE(v.reasons.join(u'|'), reason);
}

void TstHealthCheck::readiness_data()
{
    QTest::addColumn<EngineSnapshot>("snapshot");
    QTest::addColumn<QStringList>("reasons");
    EngineSnapshot s = healthy();
    QTest::newRow("ready") << s << QStringList();
    s.mqtt = {.state = MessageSource::State::Reconnecting,
              .attempt = 2,
              .retryDelayUs = 1'000'000,
              .cause = MessageSource::Cause::ConnectionLost,
              .message = QStringLiteral("connection refused")};
    QTest::newRow("broker gone")
        << s << QStringList{QStringLiteral("mqtt reconnecting: attempt 2 in 1.0 s: connection refused")};
    s.db = {.state = BatchWriter::State::Retrying,
            .attempt = 1,
            .retryDelayUs = 5'000'000,
            .cause = BatchWriter::Cause::Unavailable,
            .message = QStringLiteral("could not connect")};
    QTest::newRow("both gone") << s << QStringList{QStringLiteral("mqtt reconnecting: attempt 2 in 1.0 s: connection refused"),
                                                   QStringLiteral("database retrying: retry in 5.0 s: could not connect")};
    s = healthy();
    s.db = {.state = BatchWriter::State::Blocked,
            .retryDelayUs = 5'000'000,
            .cause = BatchWriter::Cause::TableRefusesEveryRow,
            .table = QStringLiteral("readings"),
            .code = QStringLiteral("42501"),
            .message = QStringLiteral("permission denied")};
    QTest::newRow("table refuses every row")
        << s << QStringList{QStringLiteral("database blocked: readings refuses every row (42501): permission denied; "
                                          "retry in 5.0 s")};
    s = healthy();
    s.db = {.state = BatchWriter::State::Retrying,
            .attempt = 1,
            .retryDelayUs = 500'000,
            .cause = BatchWriter::Cause::NotAnswering,
            .message = QStringLiteral("COPY: no answer within 12.0 s")};
    QTest::newRow("database not answering")
        << s << QStringList{QStringLiteral("database retrying: retry in 0.5 s: not answering: COPY: no answer within 12.0 s")};
    s = healthy();
    s.inFlight = 1000;
    QTest::newRow("buffer at its limit")
        << s << QStringList{QStringLiteral("buffer full: 1000 of 1000 messages in flight, 1.0 of 64.0 MiB in memory, reading paused")};
    s = healthy();
    s.readingPaused = true;
    QTest::newRow("reading paused for the buffer")
        << s << QStringList{QStringLiteral("buffer full: 10 of 1000 messages in flight, 1.0 of 64.0 MiB in memory, reading paused")};
    s = healthy();
    s.readingPaused = true;
    s.bufferedBytes = 64 << 20;
    QTest::newRow("reading paused at the byte bound")
        << s << QStringList{QStringLiteral("buffer full: 10 of 1000 messages in flight, 64.0 of 64.0 MiB in memory, "
                                          "reading paused")};
    s = healthy();
    s.spoolEnabled = true;
    s.spoolState = SpoolState::DiskFull;
    QTest::newRow("spool disk full")
        << s << QStringList{QStringLiteral("spool disk full: new messages are held in memory only (reading pauses at 1000 or 64.0 MiB)")};
    s.spoolState = SpoolState::SyncError;
    s.readingPaused = true;
    QTest::newRow("spool sync error, reading paused")
        << s << QStringList{QStringLiteral("spool sync error: new messages are held in memory only (reading pauses at 1000 or 64.0 MiB)"),
                            QStringLiteral("buffer full: 10 of 1000 messages in flight, 1.0 of 64.0 MiB in memory, reading paused")};
    s = healthy();
    s.readingPaused = true;
    s.operatorPaused = true;
    QTest::newRow("paused by the operator") << s << QStringList{QStringLiteral("reading paused by the operator")};
}

void TstHealthCheck::readiness()
{
    QFETCH(EngineSnapshot, snapshot);
    QFETCH(QStringList, reasons);
    const HealthCheck::Verdict v = HealthCheck::readiness(snapshot);
    QCOMPARE(v.ok, reasons.isEmpty());
    QCOMPARE(v.reasons, reasons);
}

void TstHealthCheck::json()
{
    QCOMPARE(HealthCheck::Verdict{}.json(QStringLiteral("not ready")), QByteArray("{\"status\":\"ok\"}\n"));
    const HealthCheck::Verdict bad{false, {QStringLiteral("mqtt \"x\""), QStringLiteral("database y")}, {}};
    const QJsonObject o = QJsonDocument::fromJson(bad.json(QStringLiteral("not ready"))).object();
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("not ready"));
    QCOMPARE(o.value(QStringLiteral("reasons")).toArray().toVariantList(),
             (QVariantList{QStringLiteral("mqtt \"x\""), QStringLiteral("database y")}));
    QVERIFY(!o.contains(QStringLiteral("spool")));
    // A part's state by name, for tools that should not parse the reasons.
    EngineSnapshot s = healthy();
    s.spoolEnabled = true;
    s.spoolState = SpoolState::DiskFull;
    const QJsonObject full = QJsonDocument::fromJson(HealthCheck::readiness(s).json(QStringLiteral("not ready"))).object();
    QCOMPARE(full.value(QStringLiteral("spool")).toString(), QStringLiteral("disk_full"));
    QVERIFY(!full.contains(QStringLiteral("database_cause")));
    // The database's cause too, while it is not connected.
    s = healthy();
    s.db = {.state = BatchWriter::State::Retrying, .cause = BatchWriter::Cause::NotAnswering};
    const QJsonObject hung = QJsonDocument::fromJson(HealthCheck::readiness(s).json(QStringLiteral("not ready"), false)).object();
    QCOMPARE(hung.value(QStringLiteral("database")).toString(), QStringLiteral("retrying"));
    QCOMPARE(hung.value(QStringLiteral("database_cause")).toString(), QStringLiteral("not_answering"));
}

void TstHealthCheck::jsonWithoutReasons()
{
    // For a request without the token: state names only, nothing a server wrote.
    EngineSnapshot s = healthy();
    s.mqtt = {.state = MessageSource::State::Reconnecting, .message = QStringLiteral("secret-broker-text")};
    s.db = {.state = BatchWriter::State::Retrying, .message = QStringLiteral("secret-database-text")};
    const HealthCheck::Verdict v = HealthCheck::readiness(s);
    const QByteArray open = v.json(QStringLiteral("not ready"), false);
    QVERIFY2(!open.contains("secret-"), open.constData());
    const QJsonObject o = QJsonDocument::fromJson(open).object();
    QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("not ready"));
    QCOMPARE(o.value(QStringLiteral("mqtt")).toString(), QStringLiteral("reconnecting"));
    QCOMPARE(o.value(QStringLiteral("database")).toString(), QStringLiteral("retrying"));
    QVERIFY(!o.contains(QStringLiteral("reasons")));
    // With it, the reasons as before.
    const QByteArray full = v.json(QStringLiteral("not ready"), true);
    QVERIFY2(full.contains("secret-broker-text") && full.contains("secret-database-text"), full.constData());
    // Liveness names the loop that stopped.
    const QJsonObject live = QJsonDocument::fromJson(
        HealthCheck::liveness(EngineSnapshot{}, Now, 10 * Second).json(QStringLiteral("unhealthy"), false)).object();
    QCOMPARE(live.value(QStringLiteral("engine")).toString(), QStringLiteral("not_started"));
    QVERIFY(!live.contains(QStringLiteral("reasons")));
}

QTEST_APPLESS_MAIN(TstHealthCheck)
#include "tst_healthcheck.moc"
