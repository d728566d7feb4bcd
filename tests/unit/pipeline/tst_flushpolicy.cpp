// SPDX-License-Identifier: MIT
#include "pipeline/flushpolicy.h"

#include <QTest>

using namespace iot;

namespace iot {
char *toString(FlushPolicy::Action a)
{
    switch (a) {
    case FlushPolicy::Action::None: return qstrdup("None");
    case FlushPolicy::Action::StartTimer: return qstrdup("StartTimer");
    case FlushPolicy::Action::Flush: return qstrdup("Flush");
    }
    return qstrdup("<invalid Action>");
}
} // namespace iot

namespace {
// A realistic receive time (2026), so that the arithmetic is exercised with epoch-sized values.
constexpr qint64 T0 = 1795746065123456;
} // namespace

/// FlushPolicy: when a batch is flushed by size, when its timer starts and how long until it is due.
/// Pure logic; runs on the test's main thread.
class TstFlushPolicy final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void afterAppend_data();
    void afterAppend();
    void intervalUs_data();
    void intervalUs();
    void msUntilDue_data();
    void msUntilDue();
};

void TstFlushPolicy::afterAppend_data()
{
    QTest::addColumn<qulonglong>("batchSize");
    QTest::addColumn<qulonglong>("count");
    QTest::addColumn<FlushPolicy::Action>("expected");
    using A = FlushPolicy::Action;
    QTest::newRow("first of 100 starts the timer") << 100ULL << 1ULL << A::StartTimer;
    QTest::newRow("second of 100") << 100ULL << 2ULL << A::None;
    QTest::newRow("99 of 100") << 100ULL << 99ULL << A::None;
    QTest::newRow("100 of 100 flushes") << 100ULL << 100ULL << A::Flush;
    QTest::newRow("101 of 100 flushes") << 100ULL << 101ULL << A::Flush;
    QTest::newRow("first of 2") << 2ULL << 1ULL << A::StartTimer;
    QTest::newRow("2 of 2 flushes") << 2ULL << 2ULL << A::Flush;
    QTest::newRow("batch size 1 flushes at once") << 1ULL << 1ULL << A::Flush;
    QTest::newRow("batch size 1, count 2") << 1ULL << 2ULL << A::Flush;
    QTest::newRow("batch size 0 acts as 1") << 0ULL << 1ULL << A::Flush;
}

void TstFlushPolicy::afterAppend()
{
    QFETCH(qulonglong, batchSize);
    QFETCH(qulonglong, count);
    QFETCH(FlushPolicy::Action, expected);
    const FlushPolicy policy(batchSize, 5.0);
    QCOMPARE(policy.afterAppend(count), expected);
    QCOMPARE(policy.batchSize(), std::max<std::size_t>(1, batchSize));
}

void TstFlushPolicy::intervalUs_data()
{
    QTest::addColumn<double>("seconds");
    QTest::addColumn<qint64>("expectedUs");
    QTest::newRow("5 s") << 5.0 << qint64(5000000);
    QTest::newRow("0.25 s") << 0.25 << qint64(250000);
    QTest::newRow("1.5 ms") << 0.0015 << qint64(1500);
    QTest::newRow("exactly 1 ms") << 0.001 << qint64(1000);
    QTest::newRow("0.1 ms is clamped to 1 ms") << 0.0001 << qint64(1000);
    QTest::newRow("0 is clamped to 1 ms") << 0.0 << qint64(1000);
    QTest::newRow("negative is clamped to 1 ms") << -3.0 << qint64(1000);
    QTest::newRow("config maximum, one day") << 86400.0 << qint64(86400000000);
}

void TstFlushPolicy::intervalUs()
{
    QFETCH(double, seconds);
    QFETCH(qint64, expectedUs);
    QCOMPARE(FlushPolicy(10, seconds).intervalUs(), expectedUs);
}

void TstFlushPolicy::msUntilDue_data()
{
    QTest::addColumn<double>("seconds");
    QTest::addColumn<qint64>("firstUs");
    QTest::addColumn<qint64>("nowUs");
    QTest::addColumn<int>("expectedMs");
    QTest::newRow("5 s, just started") << 5.0 << T0 << T0 << 5000;
    QTest::newRow("5 s, 1 µs later rounds up") << 5.0 << T0 << T0 + 1 << 5000;
    QTest::newRow("5 s, 1 ms later") << 5.0 << T0 << T0 + 1000 << 4999;
    QTest::newRow("5 s, 1001 µs later") << 5.0 << T0 << T0 + 1001 << 4999;
    QTest::newRow("5 s, 999 µs left") << 5.0 << T0 << T0 + 4999001 << 1;
    QTest::newRow("5 s, 1 µs left") << 5.0 << T0 << T0 + 4999999 << 1;
    QTest::newRow("5 s, due exactly at the interval") << 5.0 << T0 << T0 + 5000000 << 0;
    QTest::newRow("5 s, overdue") << 5.0 << T0 << T0 + 7000000 << 0;
    QTest::newRow("first at time 0") << 5.0 << qint64(0) << qint64(0) << 5000;
    QTest::newRow("0.25 s, just started") << 0.25 << T0 << T0 << 250;
    QTest::newRow("0.25 s, 100.5 ms later") << 0.25 << T0 << T0 + 100500 << 150;
    QTest::newRow("0.25 s, due") << 0.25 << T0 << T0 + 250000 << 0;
    QTest::newRow("1.5 ms rounds up to 2") << 0.0015 << T0 << T0 << 2;
    QTest::newRow("clamped 1 ms, just started") << 0.0 << T0 << T0 << 1;
    QTest::newRow("clamped 1 ms, 999 µs later") << 0.0 << T0 << T0 + 999 << 1;
    QTest::newRow("clamped 1 ms, due") << 0.0 << T0 << T0 + 1000 << 0;
    QTest::newRow("one day, just started") << 86400.0 << T0 << T0 << 86400000;
}

void TstFlushPolicy::msUntilDue()
{
    QFETCH(double, seconds);
    QFETCH(qint64, firstUs);
    QFETCH(qint64, nowUs);
    QFETCH(int, expectedMs);
    const FlushPolicy policy(100, seconds);
    QCOMPARE(policy.msUntilDue(firstUs, nowUs), expectedMs);
    QCOMPARE(policy.isDue(firstUs, nowUs), expectedMs == 0);
}

QTEST_APPLESS_MAIN(TstFlushPolicy)
#include "tst_flushpolicy.moc"
