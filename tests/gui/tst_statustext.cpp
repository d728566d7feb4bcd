// SPDX-License-Identifier: MIT
// StatusText: the words the health bar shows for each state, formatted from the snapshot's state fields.
#include "statustext.h"

#include <QTest>

using namespace iot;

class TstStatusText final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mqttWords_data();
    void mqttWords();
    void databaseWords_data();
    void databaseWords();
    void readingAndOverall();
    void numbers();
};

void TstStatusText::mqttWords_data()
{
    using Info = MessageSource::StateInfo;
    QTest::addColumn<Info>("info");
    QTest::addColumn<qint64>("elapsedUs");
    QTest::addColumn<bool>("running");
    QTest::addColumn<QString>("startsWith");
    QTest::addColumn<int>("level");
    using S = MessageSource::State;
    using C = MessageSource::Cause;
    const QString endpoint = QStringLiteral("127.0.0.1:1883");
    QTest::newRow("connected") << Info{.state = S::Connected, .endpoint = endpoint} << qint64(0) << true
                               << QStringLiteral("Connected to 127.0.0.1:1883 since ") << int(StatusLevel::Ok);
    QTest::newRow("reconnecting")
        << Info{.state = S::Reconnecting, .endpoint = endpoint, .attempt = 3, .retryDelayUs = 4'200'000,
                .cause = C::ConnectFailed, .message = QStringLiteral("connection refused")}
        << qint64(1'000'000) << true << QStringLiteral("Reconnecting (attempt 3, next try in 3.2 s): connection refused")
        << int(StatusLevel::Warning);
    QTest::newRow("reconnect due")
        << Info{.state = S::Reconnecting, .endpoint = endpoint, .attempt = 1, .retryDelayUs = 300'000,
                .cause = C::ConnectionLost, .message = QStringLiteral("lost")}
        << qint64(2'000'000) << true << QStringLiteral("Reconnecting (attempt 1, retrying now): lost")
        << int(StatusLevel::Warning);
    QTest::newRow("connecting") << Info{.state = S::Connecting, .endpoint = QStringLiteral("h:1")} << qint64(0) << true
                                << QStringLiteral("Connecting to h:1…") << int(StatusLevel::Busy);
    QTest::newRow("not started") << Info{} << qint64(0) << true << QStringLiteral("Starting…")
                                 << int(StatusLevel::Busy);
    QTest::newRow("stopped") << Info{.state = S::Disconnected, .cause = C::Stopped} << qint64(0) << true
                             << QStringLiteral("Stopped") << int(StatusLevel::Off);
    QTest::newRow("setup failed") << Info{.state = S::Disconnected, .cause = C::SetupFailed} << qint64(0) << true
                                  << QStringLiteral("Client setup failed") << int(StatusLevel::Error);
    QTest::newRow("TLS refused: failed, red")
        << Info{.state = S::Failed, .endpoint = endpoint, .cause = C::Tls,
                .tls = MessageSource::TlsProblem::UnknownAuthority,
                .message = QStringLiteral("certificate verify failed: unable to get local issuer certificate")}
        << qint64(0) << true
        << QStringLiteral("Stopped, retrying cannot help: TLS to 127.0.0.1:1883: certificate verify failed: unable "
                          "to get local issuer certificate")
        << int(StatusLevel::Error);
    QTest::newRow("stopped engine") << Info{.state = S::Connected, .endpoint = QStringLiteral("h:1")} << qint64(0)
                                    << false << QStringLiteral("Stopped") << int(StatusLevel::Off);
}

void TstStatusText::mqttWords()
{
    QFETCH(MessageSource::StateInfo, info);
    QFETCH(qint64, elapsedUs);
    QFETCH(bool, running);
    QFETCH(QString, startsWith);
    QFETCH(int, level);
    EngineSnapshot s;
    s.mqtt = info;
    s.mqtt.sinceUs = 1'700'000'000'000'000;
    const StatusView v = StatusText::mqtt(s, s.mqtt.sinceUs + elapsedUs, running);
    QVERIFY2(v.words.startsWith(startsWith), qPrintable(v.words));
    QCOMPARE(int(v.level), level);
}

void TstStatusText::databaseWords_data()
{
    using Info = BatchWriter::StateInfo;
    QTest::addColumn<Info>("info");
    QTest::addColumn<QString>("words");
    using S = BatchWriter::State;
    using C = BatchWriter::Cause;
    QTest::newRow("retrying")
        << Info{.state = S::Retrying, .attempt = 2, .retryDelayUs = 5'000'000, .cause = C::Unavailable,
                .message = QStringLiteral("could not connect\n\tIs the server running?")}
        << QStringLiteral("Retrying (attempt 2, next try in 4.5 s): could not connect Is the server running?");
    QTest::newRow("checkpoint unreadable")
        << Info{.state = S::Retrying, .attempt = 1, .retryDelayUs = 5'000'000, .cause = C::CheckpointUnreadable,
                .message = QStringLiteral("timeout")}
        << QStringLiteral("Retrying (attempt 1, next try in 4.5 s): cannot read the spool checkpoint: timeout");
    QTest::newRow("blocked")
        << Info{.state = S::Blocked, .retryDelayUs = 5'000'000, .cause = C::TableRefusesEveryRow,
                .table = QStringLiteral("readings"), .code = QStringLiteral("42501"),
                .message = QStringLiteral("permission denied")}
        << QStringLiteral("Writing stopped: readings refuses every row (42501): permission denied; retry in 5.0 s");
    QTest::newRow("failed")
        << Info{.state = S::Failed, .cause = C::Fatal, .message = QStringLiteral("table t has no column x")}
        << QStringLiteral("Stopped, retrying cannot help: table t has no column x");
}

void TstStatusText::databaseWords()
{
    QFETCH(BatchWriter::StateInfo, info);
    QFETCH(QString, words);
    EngineSnapshot s;
    s.db = info;
    s.db.sinceUs = 1'000'000;
    const StatusView v = StatusText::database(s, 1'500'000, true);
    QCOMPARE(v.words, words);
    QCOMPARE(v.level, StatusLevel::Error);
}

void TstStatusText::readingAndOverall()
{
    EngineSnapshot s;
    s.mqtt.state = MessageSource::State::Connected;
    s.db.state = BatchWriter::State::Connected;
    QCOMPARE(StatusText::reading(s, true).words, QStringLiteral("Reading"));
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Ok);
    s.operatorPaused = true;
    QVERIFY(StatusText::reading(s, true).words.startsWith(QStringLiteral("Paused by operator")));
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Paused);
    s.operatorPaused = false;
    s.readingPaused = true;
    QVERIFY(StatusText::reading(s, true).words.startsWith(QStringLiteral("Paused: buffer full")));
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Warning);
    s.readingPaused = false;
    s.spoolEnabled = true;
    s.spoolState = SpoolState::DiskFull;
    QCOMPARE(StatusText::reading(s, true).words, QStringLiteral("Reading into memory only: spool disk full"));
    QCOMPARE(StatusText::reading(s, true).level, StatusLevel::Warning);
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Warning);
    s.readingPaused = true;
    QVERIFY(StatusText::reading(s, true).words.startsWith(QStringLiteral("Paused: spool disk full")));
    s.spoolState = SpoolState::Ok;
    s.db.state = BatchWriter::State::Retrying;
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Error);
    QCOMPARE(StatusText::overall(s, false), StatusLevel::Off);
    // The MQTT side given up (a TLS refusal) is red, as the writer's Failed is.
    s.db.state = BatchWriter::State::Connected;
    s.mqtt.state = MessageSource::State::Failed;
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Error);
}

void TstStatusText::numbers()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(StatusText::count(1234567), QStringLiteral("1,234,567"));
    QCOMPARE(StatusText::rate(0.25), QStringLiteral("0.3/s"));
    QCOMPARE(StatusText::rate(1234.4), QStringLiteral("1,234/s"));
    QCOMPARE(StatusText::duration(850'000), QStringLiteral("850 ms"));
    QCOMPARE(StatusText::duration(4'200'000), QStringLiteral("4.2 s"));
    QCOMPARE(StatusText::duration(192'000'000), QStringLiteral("3 min 12 s"));
    QCOMPARE(StatusText::duration(qint64(7500) * 1'000'000), QStringLiteral("2 h 05 min"));
    QCOMPARE(StatusText::uptime(qint64(90061) * 1'000'000), QStringLiteral("1 d 01:01:01"));
}

QTEST_APPLESS_MAIN(TstStatusText)
#include "tst_statustext.moc"
