// SPDX-License-Identifier: MIT
// The progress line's rates: what happened over the interval since the previous line (not a smoothed rate).
#include "enginesnapshot.h"

#include <QTest>

using namespace iot;

class TstEngineSnapshot final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void progressRates_data();
    void progressRates();
};

void TstEngineSnapshot::progressRates_data()
{
    QTest::addColumn<quint64>("receivedBefore");
    QTest::addColumn<quint64>("writtenBefore");
    QTest::addColumn<qint64>("beforeUs");   // 0: no previous line
    QTest::addColumn<quint64>("received");
    QTest::addColumn<quint64>("written");
    QTest::addColumn<qint64>("nowUs");
    QTest::addColumn<QString>("expected");
    // The engine started at t = 1 s.
    QTest::newRow("first line: since the start") << quint64(0) << quint64(0) << qint64(0) << quint64(200)
                                                 << quint64(100) << qint64(11'000'000)
                                                 << QStringLiteral("received 200 (20/s), written 100 (10/s)");
    // The default batch commits in steps of 1000: over 10 s, 200 written is 20/s whatever a smoothed rate says.
    QTest::newRow("over the interval") << quint64(1000) << quint64(979) << qint64(11'000'000) << quint64(1200)
                                       << quint64(1179) << qint64(21'000'000)
                                       << QStringLiteral("received 1200 (20/s), written 1179 (20/s)");
    QTest::newRow("nothing happened") << quint64(5) << quint64(5) << qint64(11'000'000) << quint64(5) << quint64(5)
                                      << qint64(21'000'000) << QStringLiteral("received 5 (0/s), written 5 (0/s)");
    QTest::newRow("same instant") << quint64(5) << quint64(5) << qint64(11'000'000) << quint64(9) << quint64(9)
                                  << qint64(11'000'000) << QStringLiteral("received 9 (0/s), written 9 (0/s)");
}

void TstEngineSnapshot::progressRates()
{
    QFETCH(quint64, receivedBefore);
    QFETCH(quint64, writtenBefore);
    QFETCH(qint64, beforeUs);
    QFETCH(quint64, received);
    QFETCH(quint64, written);
    QFETCH(qint64, nowUs);
    QFETCH(QString, expected);
    EngineSnapshot previous;
    previous.startedAtUs = 1'000'000;
    previous.takenAtUs = beforeUs;
    previous.received = receivedBefore;
    previous.written = writtenBefore;
    EngineSnapshot now;
    now.startedAtUs = 1'000'000;
    now.takenAtUs = nowUs;
    now.received = received;
    now.written = written;
    now.receivedPerSec = 12345;   // the smoothed rate must not show up in the line
    const QString line = now.progressText(previous);
    QVERIFY2(line.startsWith(expected + QStringLiteral(", dead-lettered 0")), qPrintable(line));
}

QTEST_APPLESS_MAIN(TstEngineSnapshot)
#include "tst_enginesnapshot.moc"
