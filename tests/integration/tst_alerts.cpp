// SPDX-License-Identifier: MIT
// [[alerts]] end to end, in-process through the real engine, mosquitto and PostgreSQL: a threshold rule with for_sec
// and hysteresis fires once and resolves once and reaches a real Alertmanager (Debian's prometheus-alertmanager,
// started here on loopback) where GET /api/v2/alerts shows it, then resolved; a simulated sensor that stops is
// stale and resolves when it resumes; "database not writing" fires while PostgreSQL is stopped.
#include "httpclient.h"
#include "publisher.h"
#include "readingsprobe.h"
#include "testenv.h"

#include "config/configloader.h"
#include "engine.h"
#include "observability/metrics.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

class TstAlerts final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void thresholdToAlertmanager();
    void staleSensor();
    void databaseStopped();
};

namespace {

/// A throw-away Alertmanager on 127.0.0.1 with its own config and storage; stopped by the destructor.
class Alertmanager
{
public:
    explicit Alertmanager(const QString &dir) : m_dir(dir) {}
    ~Alertmanager()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000))
                m_process.kill();
            m_process.waitForFinished(2000);
        }
    }
    Q_DISABLE_COPY_MOVE(Alertmanager)

    bool start(QString *error)
    {
        const QString program = QStandardPaths::findExecutable(QStringLiteral("prometheus-alertmanager"));
        if (program.isEmpty()) {
            *error = QStringLiteral("prometheus-alertmanager not found (scripts/deps.sh --test installs it)");
            return false;
        }
        QFile config(m_dir + QStringLiteral("/alertmanager.yml"));
        if (!config.open(QIODevice::WriteOnly))
            return false;
        config.write("route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n");
        config.close();
        m_port = freePort();
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(program, {QStringLiteral("--config.file=") + config.fileName(),
                                  QStringLiteral("--storage.path=") + m_dir + QStringLiteral("/data"),
                                  QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_port),
                                  QStringLiteral("--cluster.listen-address=")});
        if (!m_process.waitForStarted(5000)) {
            *error = m_process.errorString();
            return false;
        }
        for (int i = 0; i < 100; ++i) {
            if (httpGet(quint16(m_port), "/-/ready", 1000).status == 200)
                return true;
            QTest::qWait(100);
        }
        *error = QStringLiteral("alertmanager not ready: ") + QString::fromUtf8(m_process.readAll());
        return false;
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }
    /// The alerts GET /api/v2/alerts returns with label alertname = `name`.
    QJsonArray alerts(const QString &name) const
    {
        const HttpResult r = httpGet(quint16(m_port), "/api/v2/alerts", 5000);
        QJsonArray out;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.body).array())
            if (v[u"labels"][u"alertname"].toString() == name)
                out.append(v);
        return out;
    }

private:
    QString m_dir;
    QProcess m_process;
    int m_port = 0;
};

Result<Config> alertConfig(const Servers &srv, const QString &tag, const QString &alertsToml, const QString &dir)
{
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1/spool\"\n\n").arg(dir) + alertsToml;
    return ConfigLoader::loadString(subscriberConfig(srv, setup).toUtf8(), QStringLiteral("test"));
}

std::unique_ptr<Publisher> publisher(const Servers &srv)
{
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    po.qos = 1;
    auto p = std::make_unique<Publisher>(po);
    if (!p->connect())
        return nullptr;
    return p;
}

QByteArray temp(double t)
{
    return QByteArray("{\"temp\": ") + QByteArray::number(t) + "}";
}

/// What each case runs: the engine of `config` with its alert events collected, started until both connections
/// are up, and a QoS 1 publisher on the test broker; stop() ends both.
class AlertRun
{
public:
    explicit AlertRun(const Config &config) : engine(config)
    {
        engine.setSnapshotIntervalMs(50);
        QObject::connect(&engine, &Engine::alertChanged, &engine, [this](const AlertEvent &e) { events << e; });
    }
    Q_DISABLE_COPY_MOVE(AlertRun)

    bool start(const Servers &srv)
    {
        if (!engine.start().ok())
            return false;
        const bool up = QTest::qWaitFor([this] {
            const EngineSnapshot s = engine.snapshot();
            return s.mqtt.state == MessageSource::State::Connected && s.db.state == BatchWriter::State::Connected;
        }, 10000);
        pub = publisher(srv);
        return up && pub;
    }
    bool stop()
    {
        if (pub)
            pub->disconnect();
        QSignalSpy stopped(&engine, &Engine::stopped);
        engine.stop();
        return stopped.count() == 1 || stopped.wait(20000);
    }

    Engine engine;
    QList<AlertEvent> events;
    std::unique_ptr<Publisher> pub;
};

} // namespace

void TstAlerts::thresholdToAlertmanager()
{
    IOT_REQUIRE_SERVERS(srv);
    const QString tag = QStringLiteral("alerts_threshold");
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    QTemporaryDir dir(srv.tmp + QStringLiteral("/alertsXXXXXX"));
    QVERIFY(dir.isValid());
    Alertmanager am(dir.path());
    QString error;
    QVERIFY2(am.start(&error), qPrintable(error));

    const auto config = alertConfig(srv, tag, QStringLiteral(R"(
[alerting]
alertmanager_url = "%1"
resend_interval_sec = 1
evaluate_interval_sec = 0.1

[[alerts]]
name = "freezer_warm"
topic = "%2/+/freezer"
field = "/temp"
above = -15
for_sec = 1
hysteresis = 2
severity = "critical"
summary = "A freezer is warmer than -15 °C"
)").arg(am.url(), tag), dir.path());
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));

    AlertRun run(config.value());
    QVERIFY(run.start(srv));
    Engine &engine = run.engine;
    const QList<AlertEvent> &events = run.events;
    Publisher *pub = run.pub.get();
    const QByteArray topic = (tag + QStringLiteral("/f1/freezer")).toUtf8();

    QVERIFY(pub->publish(topic, temp(-20), 1));
    QVERIFY(pub->publish(topic, temp(-10), 1));      // over, but for_sec not yet over
    QTest::qWait(300);
    QVERIFY(events.isEmpty());
    for (int i = 0; i < 8; ++i) {                    // 1.6 s over the threshold
        QVERIFY(pub->publish(topic, temp(-12 + i % 2), 1));
        QTest::qWait(200);
    }
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 5000);
    QCOMPARE(events[0].kind, AlertEvent::Kind::Fired);
    QCOMPARE(events[0].topic, QString::fromUtf8(topic));
    QCOMPARE(engine.firingAlerts().size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().alerts.value(0).firing, 1, 2000);

    // The gauge, as /metrics shows it.
    Metrics metrics(QStringLiteral("test"));
    metrics.update(engine.snapshot());
    QVERIFY2(metrics.exposition().contains(
                 "iot_subscriber_alert_firing{rule=\"freezer_warm\",severity=\"critical\"} 1"),
             metrics.exposition().constData());

    // At the Alertmanager, with our labels and annotations.
    QJsonArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen = am.alerts(QStringLiteral("freezer_warm")), !seen.isEmpty()), 10000);
    const QJsonObject alert = seen.first().toObject();
    QCOMPARE(alert[u"labels"][u"topic"].toString(), QString::fromUtf8(topic));
    QCOMPARE(alert[u"labels"][u"severity"].toString(), QStringLiteral("critical"));
    QCOMPARE(alert[u"labels"][u"rule"].toString(), QStringLiteral("freezer_warm"));
    QCOMPARE(alert[u"annotations"][u"summary"].toString(), QStringLiteral("A freezer is warmer than -15 °C"));
    QCOMPARE(alert[u"status"][u"state"].toString(), QStringLiteral("active"));
    // Re-sent while firing (resend_interval_sec = 1): still there three intervals later.
    QTest::qWait(3000);
    QCOMPARE(am.alerts(QStringLiteral("freezer_warm")).size(), 1);

    // Inside the hysteresis band (-15 - 2 < t): still firing; past it: resolved, once.
    QVERIFY(pub->publish(topic, temp(-16), 1));
    QTest::qWait(500);
    QCOMPARE(events.size(), 1);
    QVERIFY(pub->publish(topic, temp(-18), 1));
    QVERIFY(pub->publish(topic, temp(-19), 1));
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 5000);
    QCOMPARE(events[1].kind, AlertEvent::Kind::Resolved);
    QTest::qWait(500);
    QCOMPARE(events.size(), 2);
    // Alertmanager no longer lists a resolved alert as active (endsAt in the past).
    QTRY_VERIFY_WITH_TIMEOUT(am.alerts(QStringLiteral("freezer_warm")).isEmpty()
                                 || am.alerts(QStringLiteral("freezer_warm")).first()[u"status"][u"state"]
                                        != QStringLiteral("active"),
                             10000);
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().alerts.value(0).firing, 0, 2000);

    QVERIFY(run.stop());
}

void TstAlerts::staleSensor()
{
    IOT_REQUIRE_SERVERS(srv);
    const QString tag = QStringLiteral("alerts_stale");
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    QTemporaryDir dir(srv.tmp + QStringLiteral("/alertsXXXXXX"));
    const auto config = alertConfig(srv, tag, QStringLiteral(R"(
[alerting]
evaluate_interval_sec = 0.1

[[alerts]]
name = "sensor_quiet"
topic = "%1/#"
stale_after_sec = 2
)").arg(tag), dir.path());
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    AlertRun run(config.value());
    QVERIFY(run.start(srv));
    const QList<AlertEvent> &events = run.events;
    Publisher *pub = run.pub.get();
    const QByteArray a = (tag + QStringLiteral("/a")).toUtf8();
    const QByteArray b = (tag + QStringLiteral("/b")).toUtf8();
    // Two sensors every 0.3 s; then b stops.
    for (int i = 0; i < 8; ++i) {
        QVERIFY(pub->publish(a, temp(i), 1));
        QVERIFY(pub->publish(b, temp(i), 1));
        QTest::qWait(300);
    }
    QVERIFY(events.isEmpty());
    for (int i = 0; i < 12; ++i) {   // 3.6 s: b is stale after 2 s, a (every 0.3 s) never
        QVERIFY(pub->publish(a, temp(i), 1));
        QTest::qWait(300);
    }
    QCOMPARE(events.size(), 1);
    QCOMPARE(events[0].kind, AlertEvent::Kind::Fired);
    QCOMPARE(events[0].topic, QString::fromUtf8(b));
    // b resumes.
    QVERIFY(pub->publish(b, temp(1), 1));
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 5000);
    QCOMPARE(events[1].kind, AlertEvent::Kind::Resolved);
    QCOMPARE(events[1].topic, QString::fromUtf8(b));
    QVERIFY(run.stop());
}

void TstAlerts::databaseStopped()
{
    IOT_REQUIRE_SERVERS(srv);
    const QString tag = QStringLiteral("alerts_dbstop");
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    QTemporaryDir dir(srv.tmp + QStringLiteral("/alertsXXXXXX"));
    const auto config = alertConfig(srv, tag, QStringLiteral(R"(
[alerting]
evaluate_interval_sec = 0.1

[[alerts]]
name = "db_not_writing"
db_not_writing_sec = 2
severity = "critical"
)"), dir.path());
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
    AlertRun run(config.value());
    QVERIFY(run.start(srv));
    Engine &engine = run.engine;
    const QList<AlertEvent> &events = run.events;
    Publisher *pub = run.pub.get();
    const QByteArray topic = (tag + QStringLiteral("/s")).toUtf8();
    QVERIFY(pub->publish(topic, temp(1), 1));
    QTRY_VERIFY_WITH_TIMEOUT(engine.snapshot().written >= 1, 10000);
    QTest::qWait(2500);    // idle and written: no alert
    QVERIFY(events.isEmpty());

    QString out;
    QVERIFY2(srv.stopPostgres(&out), qPrintable(out));
    for (int i = 0; i < 5; ++i)
        QVERIFY(pub->publish(topic, temp(i), 1));
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 15000);
    QCOMPARE(events[0].kind, AlertEvent::Kind::Fired);
    QCOMPARE(events[0].ruleName, QStringLiteral("db_not_writing"));
    QVERIFY(events[0].value >= 2);
    QVERIFY2(srv.startPostgres(&out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 30000);
    QCOMPARE(events[1].kind, AlertEvent::Kind::Resolved);
    QTRY_VERIFY_WITH_TIMEOUT(probe.count() >= 6, 10000);
    QVERIFY(run.stop());
}

QTEST_GUILESS_MAIN(TstAlerts)
#include "tst_alerts.moc"
