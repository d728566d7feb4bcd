// SPDX-License-Identifier: MIT
// Reading paused for longer than the MQTT keep-alive, through the real engine, mosquitto and PostgreSQL: the
// session stays up (no reconnect), nothing is handed on while paused, and after the pause every sequence number is
// stored once. Then the same over TLS, where our own PINGREQs go through libmosquitto's SSL object.
#include "backgroundpublisher.h"
#include "readingsprobe.h"
#include "testenv.h"
#include "tlstestenv.h"

#include "config/configloader.h"
#include "engine.h"
#include "mqtt/mqttclient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

class TstPausedReading final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void operatorPauseKeepsTheSession();
    void tlsSessionIsKeptToo();
};

namespace {

// libmosquitto's smallest keep-alive. Unread, the connection dies after two of them: a PINGREQ at the first, no
// PINGRESP read by the second.
constexpr int KeepAliveSec = 5;
constexpr int PauseMs = KeepAliveSec * 2500;

/// Waits out the pause with the event loop running; false (with `why`) as soon as a state changes.
bool pauseHolds(const QList<MessageSource::State> &states, QString *why)
{
    QElapsedTimer paused;
    paused.start();
    while (paused.elapsed() < PauseMs) {
        QTest::qWait(250);
        if (!states.isEmpty()) {
            *why = QStringLiteral("state %1 after %2 ms of the pause")
                       .arg(MessageSource::stateName(states.first()))
                       .arg(paused.elapsed());
            return false;
        }
    }
    return true;
}

} // namespace

void TstPausedReading::operatorPauseKeepsTheSession()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 4000;
    constexpr double Rate = 200;
    const QString tag = QStringLiteral("paused_reading");
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    QTemporaryDir dir(srv.tmp + QStringLiteral("/pausedXXXXXX"));
    QVERIFY(dir.isValid());

    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraMqttKeys = QStringLiteral("keepalive = %1\n").arg(KeepAliveSec);
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.path());
    const auto config = ConfigLoader::loadString(subscriberConfig(srv, setup).toUtf8(), QStringLiteral("test"));
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));

    Engine engine(config.value());
    engine.setSnapshotIntervalMs(50);
    QList<MessageSource::State> states;
    connect(&engine, &Engine::mqttStateChanged, this,
            [&states](const MessageSource::StateInfo &info) { states << info.state; });
    QVERIFY(engine.start().ok());
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().mqtt.state, MessageSource::State::Connected, 10000);

    BackgroundPublisher publisher(simulation(srv, tag, Count, Rate));
    QTRY_VERIFY_WITH_TIMEOUT(engine.snapshot().received >= 200, 15000);

    // The operator's pause (the buffer-full pause takes the same way to the MQTT client).
    engine.setPaused(true);
    QTRY_VERIFY(engine.snapshot().readingPaused);
    const quint64 receivedAtPause = engine.snapshot().received;
    states.clear();
    QString why;
    QVERIFY2(pauseHolds(states, &why), qPrintable(why));
    // Paused means nothing handed on to the engine (a message already being read may still arrive).
    QVERIFY2(engine.snapshot().received <= receivedAtPause + 1,
             qPrintable(QStringLiteral("%1 received while paused").arg(engine.snapshot().received - receivedAtPause)));
    QCOMPARE(engine.snapshot().mqtt.state, MessageSource::State::Connected);
    QCOMPARE(engine.snapshot().mqttReconnects, quint64(0));

    engine.setPaused(false);
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));

    // Everything from the first message after the subscription on, each once (what the broker got before our
    // SUBSCRIBE is not ours to have).
    QMap<qint64, int> counts;
    QTRY_VERIFY_WITH_TIMEOUT((counts = probe.seqCounts(), !counts.isEmpty() && counts.lastKey() == qint64(Count)
                              && probe.count() == qint64(Count) - counts.firstKey() + 1),
                             60000);
    QVERIFY2(counts.firstKey() <= 200, qPrintable(QString::number(counts.firstKey())));
    const SeqReport report = SeqReport::check(counts, counts.firstKey(), qint64(Count));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QCOMPARE(engine.snapshot().mqttReconnects, quint64(0));
    QVERIFY(!states.contains(MessageSource::State::Reconnecting));

    QSignalSpy stopped(&engine, &Engine::stopped);
    engine.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 20000);
}

void TstPausedReading::tlsSessionIsKeptToo()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/paused-tls-XXXXXX"));
    QVERIFY(dir.isValid());
    TlsTestEnv env(dir.path());
    QString error;
    QVERIFY2(env.makeCertificates(&error), qPrintable(error));
    QVERIFY2(env.startBroker(srv, &error), qPrintable(error));

    MqttConfig c;
    c.host = QStringLiteral("127.0.0.1");
    c.port = env.tlsPort();
    c.clientId = QStringLiteral("paused_reading_tls");
    c.topics = {TopicFilter{QStringLiteral("paused_tls/#"), 1}};
    c.tls = true;
    c.tlsCaFile = env.file(QStringLiteral("ca.pem"));
    c.keepAliveSec = KeepAliveSec;
    MqttClient client(c, 0.2, 0.5);
    QMap<qint64, int> counts;
    client.setMessageHandler([&counts](QByteArrayView, QByteArrayView payload) {
        ++counts[QJsonDocument::fromJson(payload.toByteArray()).object().value(u"seq").toInteger()];
    });
    QList<MessageSource::State> states;
    connect(&client, &MessageSource::stateChanged, this,
            [&states](const MessageSource::StateInfo &info) { states << info.state; });
    client.start();
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), MessageSource::State::Connected, 10000);

    // Published on the broker's plain port: only the subscriber's side is under test.
    constexpr quint64 Count = 2000;
    BackgroundPublisher publisher(simulation(srv, QStringLiteral("paused_tls"), Count, 100, env.plainPort()));
    QTRY_VERIFY_WITH_TIMEOUT(counts.size() >= 100, 15000);
    client.setReadingPaused(true);
    const auto atPause = counts.size();
    states.clear();
    QVERIFY2(pauseHolds(states, &error), qPrintable(error));
    QCOMPARE(client.state(), MessageSource::State::Connected);
    QVERIFY2(counts.size() <= atPause + 1, qPrintable(QString::number(counts.size() - atPause)));

    client.setReadingPaused(false);
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_VERIFY_WITH_TIMEOUT(!counts.isEmpty() && counts.lastKey() == qint64(Count), 30000);
    const SeqReport report = SeqReport::check(counts, counts.firstKey(), qint64(Count));
    QVERIFY2(report.missing == 0 && report.duplicated == 0 && report.unexpected == 0, qPrintable(report.describe()));
    QVERIFY(counts.firstKey() <= 100);
    QVERIFY(states.isEmpty());

    QSignalSpy stopped(&client, &MessageSource::stopped);
    client.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 5000);
}

QTEST_GUILESS_MAIN(TstPausedReading)
#include "tst_pausedreading.moc"
