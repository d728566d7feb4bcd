// SPDX-License-Identifier: MIT
#include "mqtt/backoff.h"

#include <QList>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace iot;

namespace {

std::function<double()> constant(double value)
{
    return [value] { return value; };
}

QList<int> delays(Backoff &backoff, int count)
{
    QList<int> out;
    for (int i = 0; i < count; ++i)
        out.append(backoff.nextDelayMs());
    return out;
}

} // namespace

/// Backoff: exponential reconnect delays, their cap, their jitter and their lower bound.
/// Pure logic with an injected random source; runs on the test's main thread.
class TstBackoff final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sequence_data();
    void sequence();
    void jitterStaysWithinBounds();
    void defaultRandomStaysWithinBounds();
    void resetStartsOver();
    void neverBelowOneMs_data();
    void neverBelowOneMs();
    void noOverflowAfterManyAttempts_data();
    void noOverflowAfterManyAttempts();
};

void TstBackoff::sequence_data()
{
    QTest::addColumn<double>("base");
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("jitter");
    QTest::addColumn<double>("random");
    QTest::addColumn<QList<int>>("expected");
    QTest::newRow("no jitter: doubles up to the cap")
        << 1.0 << 60.0 << 0.2 << 0.5 << QList<int>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    QTest::newRow("no jitter: fractional base")
        << 0.5 << 10.0 << 0.2 << 0.5 << QList<int>{500, 1000, 2000, 4000, 8000, 10000, 10000};
    QTest::newRow("no jitter: 5 s base, 120 s cap")
        << 5.0 << 120.0 << 0.2 << 0.5 << QList<int>{5000, 10000, 20000, 40000, 80000, 120000, 120000};
    QTest::newRow("base equals max") << 5.0 << 5.0 << 0.2 << 0.5 << QList<int>{5000, 5000, 5000};
    QTest::newRow("max below base is raised to base") << 2.0 << 1.0 << 0.2 << 0.5 << QList<int>{2000, 2000};
    QTest::newRow("random 0.0: 20% below")
        << 1.0 << 60.0 << 0.2 << 0.0 << QList<int>{800, 1600, 3200, 6400, 12800, 25600, 48000, 48000};
    // factor = 1 + 0.2 · (2 · 0.999 − 1) = 1.1996
    QTest::newRow("random 0.999: just under 20% above")
        << 1.0 << 60.0 << 0.2 << 0.999 << QList<int>{1200, 2399, 4798, 9597, 19194, 38387, 71976, 71976};
    QTest::newRow("jitter 0 ignores random") << 1.0 << 4.0 << 0.0 << 0.0 << QList<int>{1000, 2000, 4000, 4000};
    QTest::newRow("jitter 0.5, random 0.0") << 1.0 << 4.0 << 0.5 << 0.0 << QList<int>{500, 1000, 2000, 2000};
}

void TstBackoff::sequence()
{
    QFETCH(double, base);
    QFETCH(double, max);
    QFETCH(double, jitter);
    QFETCH(double, random);
    QFETCH(QList<int>, expected);
    Backoff backoff(base, max, jitter, constant(random));
    QCOMPARE(backoff.attempt(), 0);
    QCOMPARE(delays(backoff, int(expected.size())), expected);
    QCOMPARE(backoff.attempt(), int(expected.size()));
}

void TstBackoff::jitterStaysWithinBounds()
{
    QRandomGenerator rng(4711);
    Backoff backoff(1.0, 30.0, 0.2, [&rng] { return rng.generateDouble(); });
    double lowest = 2.0;
    double highest = 0.0;
    for (int i = 0; i < 2000; ++i) {
        const double nominal = std::min(30000.0, 1000.0 * std::pow(2.0, std::min(i, 30)));
        const int d = backoff.nextDelayMs();
        const double ratio = d / nominal;
        QVERIFY2(ratio >= 0.8 - 1e-3 && ratio <= 1.2 + 1e-3,
                 qPrintable(QStringLiteral("attempt %1: %2 ms for nominal %3 ms").arg(i).arg(d).arg(nominal)));
        lowest = std::min(lowest, ratio);
        highest = std::max(highest, ratio);
    }
    // The jitter is really applied and spreads over (nearly) the whole ±20% band.
    QVERIFY2(lowest < 0.82, qPrintable(QString::number(lowest)));
    QVERIFY2(highest > 1.18, qPrintable(QString::number(highest)));
}

void TstBackoff::defaultRandomStaysWithinBounds()
{
    Backoff backoff(2.0, 2.0, 0.2);
    QList<int> seen;
    for (int i = 0; i < 200; ++i) {
        const int d = backoff.nextDelayMs();
        QVERIFY2(d >= 1600 && d <= 2400, qPrintable(QString::number(d)));
        seen.append(d);
    }
    std::sort(seen.begin(), seen.end());
    QVERIFY2(seen.constFirst() != seen.constLast(), "the default random source never varies");
}

void TstBackoff::resetStartsOver()
{
    Backoff backoff(0.5, 60.0, 0.2, constant(0.5));
    QCOMPARE(delays(backoff, 4), (QList<int>{500, 1000, 2000, 4000}));
    QCOMPARE(backoff.attempt(), 4);
    backoff.reset();
    QCOMPARE(backoff.attempt(), 0);
    QCOMPARE(delays(backoff, 3), (QList<int>{500, 1000, 2000}));
    QCOMPARE(backoff.attempt(), 3);
}

void TstBackoff::neverBelowOneMs_data()
{
    QTest::addColumn<double>("base");
    QTest::addColumn<double>("random");
    QTest::addColumn<int>("expectedFirst");
    QTest::newRow("base 0") << 0.0 << 0.5 << 1;
    QTest::newRow("base 0.1 ms") << 0.0001 << 0.5 << 1;
    QTest::newRow("base 0.4 ms, random 0") << 0.0004 << 0.0 << 1;
    QTest::newRow("base 1 ms, random 0") << 0.001 << 0.0 << 1;
    QTest::newRow("base 2 ms, random 0") << 0.002 << 0.0 << 2;
}

void TstBackoff::neverBelowOneMs()
{
    QFETCH(double, base);
    QFETCH(double, random);
    QFETCH(int, expectedFirst);
    Backoff backoff(base, 0.0, 0.2, constant(random));
    QCOMPARE(backoff.nextDelayMs(), expectedFirst);
    for (int i = 0; i < 10; ++i)
        QVERIFY(backoff.nextDelayMs() >= 1);
}

void TstBackoff::noOverflowAfterManyAttempts_data()
{
    QTest::addColumn<double>("base");
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("random");
    QTest::addColumn<int>("expectedLast");
    // 86400 s is the largest mqtt_reconn_max_delay_sec the config accepts.
    QTest::newRow("1 s to one day, no jitter") << 1.0 << 86400.0 << 0.5 << 86400000;
    QTest::newRow("1 s to one day, +20%") << 1.0 << 86400.0 << 0.999 << 103645440;
    QTest::newRow("1 ms to one day, -20%") << 0.001 << 86400.0 << 0.0 << 69120000;
    QTest::newRow("5 s to 5 min, no jitter") << 5.0 << 300.0 << 0.5 << 300000;
}

void TstBackoff::noOverflowAfterManyAttempts()
{
    QFETCH(double, base);
    QFETCH(double, max);
    QFETCH(double, random);
    QFETCH(int, expectedLast);
    Backoff backoff(base, max, 0.2, constant(random));
    int previous = 0;
    int last = 0;
    for (int i = 0; i < 1000; ++i) {
        last = backoff.nextDelayMs();
        // With a constant random value the delays can only grow until they reach the cap, then stay there.
        QVERIFY2(last >= previous, qPrintable(QStringLiteral("attempt %1: %2 ms after %3 ms").arg(i).arg(last).arg(previous)));
        previous = last;
    }
    QCOMPARE(last, expectedLast);
    QCOMPARE(backoff.attempt(), 1000);
}

QTEST_APPLESS_MAIN(TstBackoff)
#include "tst_backoff.moc"
