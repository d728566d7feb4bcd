// SPDX-License-Identifier: MIT
#include "testenv.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>

namespace iot::test {
namespace {

QString env(const char *name)
{
    return qEnvironmentVariable(name);
}

} // namespace

bool serversRequired()
{
    return env("IOT_TEST_REQUIRE_SERVERS") == QLatin1String("1");
}

std::optional<Servers> servers()
{
    Servers s;
    s.mqttHost = env("IOT_TEST_MQTT_HOST");
    s.mqttPort = env("IOT_TEST_MQTT_PORT").toInt();
    s.pgHost = env("IOT_TEST_PG_HOST");
    s.pgPort = env("IOT_TEST_PG_PORT").toInt();
    s.pgUser = env("IOT_TEST_PG_USER");
    s.pgPassword = env("IOT_TEST_PG_PASSWORD");
    s.pgDatabase = env("IOT_TEST_PG_DB");
    s.pgData = env("IOT_TEST_PGDATA");
    s.pgCtl = env("IOT_TEST_PG_CTL");
    s.brokerCtl = env("IOT_TEST_BROKER_CTL");
    s.tmp = env("IOT_TEST_TMP");
    if (s.mqttHost.isEmpty() || s.mqttPort == 0 || s.pgHost.isEmpty() || s.pgPort == 0 || s.pgCtl.isEmpty()
        || s.brokerCtl.isEmpty() || s.tmp.isEmpty())
        return std::nullopt;
    return s;
}

bool runProgram(const QString &program, const QStringList &args, int timeoutMs, QString *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    const bool finished = p.waitForFinished(timeoutMs);
    if (output)
        *output = QString::fromLocal8Bit(p.readAll());
    if (!finished) {
        p.kill();
        p.waitForFinished(2000);
        return false;
    }
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

bool Servers::stopPostgres(QString *output) const
{
    return runProgram(pgCtl, {QStringLiteral("stop"), pgData}, 60000, output);
}

bool Servers::startPostgres(QString *output) const
{
    return runProgram(pgCtl, {QStringLiteral("start"), pgData, QString::number(pgPort)}, 60000, output);
}

bool Servers::startBroker(const QString &dir, int port, QString *output) const
{
    return runProgram(brokerCtl, {QStringLiteral("start"), dir, QString::number(port)}, 30000, output);
}

bool Servers::stopBroker(const QString &dir, QString *output) const
{
    return runProgram(brokerCtl, {QStringLiteral("stop"), dir}, 30000, output);
}

QString subscriberConfig(const Servers &s, const SubscriberSetup &u)
{
    QString t;
    t += QStringLiteral("[mqtt]\nhost = \"%1\"\nport = %2\ntopic = \"%3\"\nqos = %4\nclient_id = \"%5\"\n")
             .arg(u.mqttHost.isEmpty() ? s.mqttHost : u.mqttHost)
             .arg(u.mqttPort ? u.mqttPort : s.mqttPort)
             .arg(u.topic)
             .arg(u.qos)
             .arg(u.clientId);
    if (u.mqtt5)
        t += QStringLiteral("protocol = \"5\"\n");
    t += u.extraMqttKeys;
    if (u.postgres)
        t += QStringLiteral("\n[database]\ndriver = \"postgresql\"\nhost = \"%1\"\nport = %2\nname = \"%3\"\n"
                            "user = \"%4\"\npassword = \"%5\"\nsslmode = \"%6\"\nconnect_timeout_sec = 2\n")
                 .arg(s.pgHost)
                 .arg(s.pgPort)
                 .arg(u.database, s.pgUser, s.pgPassword, u.sslmode)
             + u.extraDatabaseKeys;
    else
        t += QStringLiteral("\n[database]\ndriver = \"sqlite\"\npath = \"%1\"\n").arg(u.database);
    t += QStringLiteral("\n[subscriber]\nbatch_size = %1\nflush_interval = %2\nmqtt_reconn_delay_sec = 0.3\n"
                        "mqtt_reconn_max_delay_sec = 2\nerror_retry_delay_sec = %3\nstats_log_interval_sec = 1\n")
             .arg(u.batchSize)
             .arg(u.flushInterval)
             .arg(u.retryDelay);
    t += u.extraSubscriberKeys;
    t += QStringLiteral("\n[observability]\nprometheus_port = %1\n").arg(u.prometheusPort);
    t += u.extraObservabilityKeys;
    t += u.extraToml;
    return t;
}

QString subscriberBinary()
{
    return env("IOT_SUBSCRIBER_BIN");
}

QString simulateBinary()
{
    return env("IOT_SIMULATE_BIN");
}

int freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

QString writeTokenFile(const QString &dir, const QByteArray &token)
{
    QFile f(QDir(dir).filePath(QStringLiteral("token")));
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(token + '\n');
    f.close();
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return f.fileName();
}

} // namespace iot::test
