// SPDX-License-Identifier: MIT
// StatusText: the words the health bar shows for each state, counted from real detail strings.
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
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<qint64>("elapsedUs");
    QTest::addColumn<bool>("running");
    QTest::addColumn<QString>("startsWith");
    QTest::addColumn<int>("level");
    using S = MessageSource::State;
    QTest::newRow("connected") << int(S::Connected) << QStringLiteral("connected to 127.0.0.1:1883") << qint64(0)
                               << true << QStringLiteral("Connected to 127.0.0.1:1883 since ") << int(StatusLevel::Ok);
    QTest::newRow("reconnecting") << int(S::Reconnecting) << QStringLiteral("attempt 3 in 4.2 s: connection refused")
                                  << qint64(1'000'000) << true
                                  << QStringLiteral("Reconnecting (attempt 3, next try in 3.2 s): connection refused")
                                  << int(StatusLevel::Warning);
    QTest::newRow("reconnect due") << int(S::Reconnecting) << QStringLiteral("attempt 1 in 0.3 s: lost")
                                   << qint64(2'000'000) << true
                                   << QStringLiteral("Reconnecting (attempt 1, retrying now): lost")
                                   << int(StatusLevel::Warning);
    QTest::newRow("connecting") << int(S::Connecting) << QStringLiteral("connecting to h:1") << qint64(0) << true
                                << QStringLiteral("Connecting to h:1…") << int(StatusLevel::Busy);
    QTest::newRow("stopped engine") << int(S::Connected) << QStringLiteral("connected to h:1") << qint64(0) << false
                                    << QStringLiteral("Stopped") << int(StatusLevel::Off);
}

void TstStatusText::mqttWords()
{
    QFETCH(int, state);
    QFETCH(QString, detail);
    QFETCH(qint64, elapsedUs);
    QFETCH(bool, running);
    QFETCH(QString, startsWith);
    QFETCH(int, level);
    EngineSnapshot s;
    s.mqttState = MessageSource::State(state);
    s.mqttDetail = detail;
    s.mqttSinceUs = 1'700'000'000'000'000;
    const StatusView v = StatusText::mqtt(s, s.mqttSinceUs + elapsedUs, running);
    QVERIFY2(v.words.startsWith(startsWith), qPrintable(v.words));
    QCOMPARE(int(v.level), level);
}

void TstStatusText::databaseWords_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<QString>("words");
    using S = BatchWriter::State;
    QTest::newRow("retrying") << int(S::Retrying)
                              << QStringLiteral("retry in 5.0 s: could not connect\n\tIs the server running?")
                              << QStringLiteral("Retrying (attempt 2, next try in 4.5 s): could not connect Is the "
                                                "server running?");
    QTest::newRow("unparsed") << int(S::Retrying) << QStringLiteral("odd") << QStringLiteral("Retrying: odd");
}

void TstStatusText::databaseWords()
{
    QFETCH(int, state);
    QFETCH(QString, detail);
    QFETCH(QString, words);
    EngineSnapshot s;
    s.dbState = BatchWriter::State(state);
    s.dbDetail = detail;
    s.dbSinceUs = 1'000'000;
    const StatusView v = StatusText::database(s, 1'500'000, true, 2);
    QCOMPARE(v.words, words);
    QCOMPARE(v.level, StatusLevel::Error);
}

void TstStatusText::readingAndOverall()
{
    EngineSnapshot s;
    s.mqttState = MessageSource::State::Connected;
    s.dbState = BatchWriter::State::Connected;
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
    s.dbState = BatchWriter::State::Retrying;
    QCOMPARE(StatusText::overall(s, true), StatusLevel::Error);
    QCOMPARE(StatusText::overall(s, false), StatusLevel::Off);
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
