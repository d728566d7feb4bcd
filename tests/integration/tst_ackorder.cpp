// SPDX-License-Identifier: MIT
// The PUBACK of a QoS 1 message goes out only after the message handler (the spool) has it. A child process runs a
// real MqttClient with a persistent session against the test broker and dies with SIGKILL inside its handler, on
// the message "crash"; the session, picked up again with the same client id, must be handed "crash" once more.
// With libmosquitto 2.0's own order (PUBACK first, then the callback) the broker had let go of it: lost.
#include "testenv.h"

#include "mqtt/mqttclient.h"

#include <QCoreApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryFile>
#include <QTest>

#include <csignal>
#include <cstdio>

using namespace iot;
using namespace iot::test;

namespace {

const QString ChildFlag = QStringLiteral("--ack-order-child");

MqttConfig sessionConfig(const QString &host, int port, const QString &clientId, int protocolVersion)
{
    MqttConfig c;
    c.host = host;
    c.port = port;
    c.clientId = clientId;
    c.protocolVersion = protocolVersion;
    c.cleanSession = false;
    c.topics = {TopicFilter{clientId + QStringLiteral("/#"), 1}};
    return c;
}

/// The child: prints every payload it is handed (and "connected"), flushed at once; SIGKILL on "crash".
int runChild(const QStringList &args)
{
    const MqttConfig c = sessionConfig(args.at(0), args.at(1).toInt(), args.at(2), args.at(3).toInt());
    MqttClient client(c, 0.2, 0.5);
    client.setMessageHandler([](QByteArrayView, QByteArrayView payload) {
        std::printf("%.*s\n", int(payload.size()), payload.data());
        std::fflush(stdout);
        if (payload == "crash")
            std::raise(SIGKILL);
    });
    QObject::connect(&client, &MessageSource::stateChanged, [](const MessageSource::StateInfo &info) {
        if (info.state == MessageSource::State::Connected) {
            std::printf("connected\n");
            std::fflush(stdout);
        }
    });
    client.start();
    return QCoreApplication::exec();
}

} // namespace

class TstAckOrder final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void crashInTheHandlerIsSentAgain_data();
    void crashInTheHandlerIsSentAgain();
};

void TstAckOrder::crashInTheHandlerIsSentAgain_data()
{
    QTest::addColumn<int>("protocolVersion");
    QTest::newRow("MQTT 3.1.1") << 4;
    QTest::newRow("MQTT 5") << 5;
}

void TstAckOrder::crashInTheHandlerIsSentAgain()
{
    QFETCH(int, protocolVersion);
    IOT_REQUIRE_SERVERS(srv);
    const QString clientId = QStringLiteral("ack_order_v%1").arg(protocolVersion);
    const auto publish = [&](const QString &payload) {
        QString out;
        return runProgram(QStringLiteral("mosquitto_pub"),
                          {QStringLiteral("-h"), srv.mqttHost, QStringLiteral("-p"), QString::number(srv.mqttPort),
                           QStringLiteral("-q"), QStringLiteral("1"), QStringLiteral("-t"),
                           clientId + QStringLiteral("/t"), QStringLiteral("-m"), payload},
                          10000, &out);
    };

    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {ChildFlag, srv.mqttHost, QString::number(srv.mqttPort), clientId, QString::number(protocolVersion)});
    QVERIFY(child.waitForStarted(5000));
    QByteArray seen;
    const auto childSaw = [&](const QByteArray &line) {
        seen += child.readAllStandardOutput();
        return seen.split('\n').contains(line);
    };
    QTRY_VERIFY_WITH_TIMEOUT(childSaw("connected"), 10000);
    // The subscription is in place once a message of ours comes through.
    for (int i = 0; i < 50 && !childSaw("ready"); ++i) {
        QVERIFY(publish(QStringLiteral("ready")));
        QTest::qWait(100);
    }
    QVERIFY2(childSaw("ready"), seen.constData());
    QVERIFY(publish(QStringLiteral("before")));
    QTRY_VERIFY_WITH_TIMEOUT(childSaw("before"), 5000);
    QVERIFY(publish(QStringLiteral("crash")));
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QVERIFY2(childSaw("crash"), seen.constData());
    QVERIFY(publish(QStringLiteral("after")));

    // The same session again: "crash" had no PUBACK, so the broker sends it again; "before" had one.
    MqttClient client(sessionConfig(srv.mqttHost, srv.mqttPort, clientId, protocolVersion), 0.2, 0.5);
    QStringList received;
    client.setMessageHandler([&received](QByteArrayView, QByteArrayView payload) {
        received << QString::fromUtf8(payload.toByteArray());
    });
    client.start();
    QTRY_VERIFY_WITH_TIMEOUT(received.contains(QStringLiteral("after")), 10000);
    QVERIFY2(received.contains(QStringLiteral("crash")), qPrintable(received.join(u',')));
    QVERIFY2(!received.contains(QStringLiteral("before")), qPrintable(received.join(u',')));
    QCOMPARE(received.count(QStringLiteral("crash")), 1);
    QSignalSpy stopped(&client, &MessageSource::stopped);
    client.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 5000);
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    MqttClient::initLibrary();
    const QStringList args = app.arguments();
    if (args.size() == 6 && args.at(1) == ChildFlag)
        return runChild(args.mid(2));
    TstAckOrder test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ackorder.moc"
