// SPDX-License-Identifier: MIT
// Secrets stay secret, through the real binary against the test broker and PostgreSQL: a run with known passwords
// (PostgreSQL role, MQTT — one from the file, one from the environment) and a trace endpoint carrying a password and
// a token, logging at debug with a collector that refuses every export, must not show any of them in its log, its
// `--check-config` output, /readyz, /healthz or /metrics — while it does use them (rows stored with that role, the
// token reaching the collector). And a spool directory others can write ends the run like a bad configuration.
#include "httpclient.h"
#include "otlpreceiver.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

const QString DbRole = QStringLiteral("iot_secrets_role");
const QString DbPassword = QStringLiteral("db-S3cret-5e6f7a");
const QString MqttFilePassword = QStringLiteral("mqtt-file-S3cret-1a2b");
const QString MqttEnvPassword = QStringLiteral("mqtt-env-S3cret-3c4d");
const QString TracePassword = QStringLiteral("trace-S3cret-8b9c");
const QString TraceToken = QStringLiteral("tok-S3cret-0d1e2f");

const QStringList &allSecrets()
{
    static const QStringList s{DbPassword, MqttFilePassword, MqttEnvPassword, TracePassword, TraceToken};
    return s;
}

/// The secrets found in `text` (none, one hopes), for the failure message.
QStringList leaked(const QString &text)
{
    QStringList out;
    for (const QString &s : allSecrets())
        if (text.contains(s))
            out << s;
    return out;
}

} // namespace

class TstSecrets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noSecretInLogsCheckConfigOrEndpoints();
    void unsafeSpoolDirectoryIsAConfigurationError();
};

void TstSecrets::noSecretInLogsCheckConfigOrEndpoints()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/secrets-XXXXXX"));
    const QString tag = QStringLiteral("secrets_it");

    // A role of its own with a password nothing else uses, owning a fresh database.
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    probe.exec(QStringLiteral("DROP ROLE IF EXISTS %1").arg(DbRole));
    QVERIFY(probe.exec(QStringLiteral("CREATE ROLE %1 LOGIN PASSWORD '%2'").arg(DbRole, DbPassword)));
    QVERIFY(probe.exec(QStringLiteral("ALTER DATABASE %1 OWNER TO %2").arg(tag, DbRole)));
    QVERIFY(probe.exec(QStringLiteral("ALTER SCHEMA public OWNER TO %1").arg(DbRole)));

    OtlpReceiver collector;
    QVERIFY(collector.listen());
    collector.setStatus(401);  // every export refused: the failure path logs the endpoint and the error
    const QString endpoint = QStringLiteral("http://collector:%1@127.0.0.1:%2/v1/traces?token=%3&service=lab")
                                 .arg(TracePassword)
                                 .arg(collector.port())
                                 .arg(TraceToken);
    const int metricsPort = freePort();
    const QString config =
        QStringLiteral("[mqtt]\nhost = \"%1\"\nport = %2\ntopic = \"%3/#\"\nclient_id = \"%3\"\nusername = \"reader\"\n"
                       "password = \"%4\"\n"
                       "\n[database]\ndriver = \"postgresql\"\nhost = \"%5\"\nport = %6\nname = \"%3\"\nuser = \"%7\"\n"
                       "password = \"%8\"\nsslmode = \"disable\"\nconnect_timeout_sec = 2\n"
                       "\n[subscriber]\nbatch_size = 50\nflush_interval = 0.2\nstats_log_interval_sec = 1\n"
                       "\n[observability]\nprometheus_port = %9\ntrace_endpoint = \"%10\"\n"
                       "\n[spool]\ndir = \"%11\"\n")
            .arg(srv.mqttHost)
            .arg(srv.mqttPort)
            .arg(tag, MqttFilePassword, srv.pgHost)
            .arg(srv.pgPort)
            .arg(DbRole, DbPassword)
            .arg(metricsPort)
            .arg(endpoint, dir.filePath(QStringLiteral("spool")));
    const QString logConfig = dir.filePath(QStringLiteral("logger.toml"));
    {
        QFile f(logConfig);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("level = \"debug\"\n");  // every logger at its chattiest
    }

    // --check-config: valid, masked, the environment's value named.
    SubscriberProcess sub(dir.path());
    const QString configPath = dir.filePath(QStringLiteral("check.toml"));
    {
        QFile f(configPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(config.toUtf8());
    }
    QProcess check;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("IOT_MQTT_PASSWORD"), MqttEnvPassword);
    check.setProcessEnvironment(env);
    check.start(subscriberBinary(), {QStringLiteral("--check-config"), QStringLiteral("--config"), configPath});
    QVERIFY(check.waitForFinished(30000));
    const QString printed = QString::fromUtf8(check.readAllStandardOutput() + check.readAllStandardError());
    QCOMPARE(check.exitCode(), 0);
    QVERIFY2(leaked(printed).isEmpty(), qPrintable(leaked(printed).join(u' ') + QStringLiteral(" in:\n") + printed));
    QVERIFY2(printed.contains(QStringLiteral("password = \"(from environment)\"  # from the environment: "
                                             "IOT_MQTT_PASSWORD")),
             qPrintable(printed));
    QVERIFY(printed.contains(QStringLiteral("password = \"********\"")));
    QVERIFY2(printed.contains(QStringLiteral("trace_endpoint = \"http://collector:********@127.0.0.1:%1/v1/traces"
                                             "?token=********&service=lab\"")
                                  .arg(collector.port())),
             qPrintable(printed));

    // The run: ingest, export (refused), serve the endpoints, stop.
    sub.setEnvironment({QStringLiteral("IOT_MQTT_PASSWORD=") + MqttEnvPassword});
    QVERIFY(sub.start(config, {QStringLiteral("--log-config"), logConfig}));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 20000), qPrintable(sub.log()));
    SimOptions sim;
    sim.publish.host = srv.mqttHost;
    sim.publish.port = srv.mqttPort;
    sim.publish.qos = 1;
    sim.payload.topicPrefix = tag.toUtf8();
    sim.count = 200;
    sim.quiet = true;
    const SimStats stats = runSimulation(sim);
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(200), 20000);  // written with the role and its password
    // The collector got exports with the token (it is used), and refused them (so the failure was logged).
    QTRY_VERIFY_WITH_TIMEOUT(!collector.requests().isEmpty(), 20000);
    QVERIFY(collector.requests().constFirst().path.contains(TraceToken.toUtf8()));
    QVERIFY2(sub.waitForLog(QStringLiteral("trace export to"), 20000), qPrintable(sub.log()));

    QString served;
    for (const QByteArray &path : {QByteArrayLiteral("/readyz"), QByteArrayLiteral("/healthz"), QByteArrayLiteral("/metrics")}) {
        const HttpResult r = httpGet(quint16(metricsPort), path);
        QVERIFY2(r.status == 200, qPrintable(QString::fromUtf8(path + ": " + r.raw.left(300))));
        served += QString::fromUtf8(r.raw);
    }
    QVERIFY2(leaked(served).isEmpty(), qPrintable(leaked(served).join(u' ')));

    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
    QCOMPARE(sub.exitCode(), 0);
    const QString log = sub.log();
    QVERIFY2(leaked(log).isEmpty(), qPrintable(leaked(log).join(u' ') + QStringLiteral(" in the log")));
    // The endpoint is still named, masked, so an operator knows where traces go.
    QVERIFY2(log.contains(QStringLiteral("exporting traces to http://collector:********@127.0.0.1:%1/v1/traces"
                                         "?token=********&service=lab")
                              .arg(collector.port())),
             qPrintable(log));
    QVERIFY(log.contains(QStringLiteral("trace export to http://collector:********@")));
}

// The spool holds every payload: a directory others can write is refused at start like a bad configuration — exit 2
// (systemd's RestartPreventExitStatus), with the reason, and nothing touched.
void TstSecrets::unsafeSpoolDirectoryIsAConfigurationError()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/unsafe-spool-XXXXXX"));
    const QString spool = dir.filePath(QStringLiteral("spool"));
    QVERIFY(QDir().mkpath(spool));
    QVERIFY(QFile::setPermissions(spool, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                             | QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                                             | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther));
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = QStringLiteral("unsafe_spool/#");
    setup.clientId = QStringLiteral("unsafe_spool");
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(spool);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY(sub.waitForFinished(20000));
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 2);
    QVERIFY2(sub.log().contains(QStringLiteral("spool directory %1 is writable by its group or by others (mode 0777)")
                                    .arg(spool)),
             qPrintable(sub.log()));
    QCOMPARE(QDir(spool).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size(), 0);
}

QTEST_GUILESS_MAIN(TstSecrets)
#include "tst_secrets.moc"
