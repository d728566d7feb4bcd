// SPDX-License-Identifier: MIT
// Reading paused for longer than the MQTT keep-alive, through the real engine, mosquitto and PostgreSQL: the
// session stays up (no reconnect), nothing is handed on while paused, and after the pause every sequence number is
// stored once.
#include "backgroundpublisher.h"
#include "readingsprobe.h"
#include "testenv.h"

#include "config/configloader.h"
#include "engine.h"

#include <QElapsedTimer>
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
};

void TstPausedReading::operatorPauseKeepsTheSession()
{
    IOT_REQUIRE_SERVERS(srv);
    // libmosquitto's smallest keep-alive. Unread, the connection dies after two of them: a PINGREQ at the first,
    // no PINGRESP read by the second.
    constexpr int KeepAliveSec = 5;
    constexpr int PauseMs = KeepAliveSec * 2500;
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
    QElapsedTimer paused;
    paused.start();
    while (paused.elapsed() < PauseMs) {
        QTest::qWait(250);
        // Paused means nothing handed on to the engine (a message already being read may still arrive).
        QVERIFY2(engine.snapshot().received <= receivedAtPause + 1,
                 qPrintable(QStringLiteral("%1 received while paused").arg(engine.snapshot().received - receivedAtPause)));
    }
    QCOMPARE(engine.snapshot().mqtt.state, MessageSource::State::Connected);
    QVERIFY2(states.isEmpty(), qPrintable(QStringLiteral("%1 state changes while paused, the first: %2")
                                              .arg(states.size())
                                              .arg(MessageSource::stateName(states.value(0)))));
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

QTEST_GUILESS_MAIN(TstPausedReading)
#include "tst_pausedreading.moc"
