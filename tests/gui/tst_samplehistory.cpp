// SPDX-License-Identifier: MIT
// SampleHistory and CommitLatency: chart decimation keeps peaks; latency percentiles from per-row histograms.
#include "batchfixture.h"
#include "observability/commitlatency.h"
#include "samplehistory.h"

#include <QTest>

using namespace iot;

class TstSampleHistory final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shortWindowKeepsEverySample();
    void longWindowDecimatesButKeepsPeaks();
    void forgetsAfterAnHour();
    void findsSilences();
    void latencyBuckets_data();
    void latencyBuckets();
    void latencyPercentiles();
};

namespace {

ChartSample sample(qint64 tUs, double received)
{
    ChartSample s;
    s.tUs = tUs;
    s.receivedPerSec = received;
    return s;
}

} // namespace

void TstSampleHistory::shortWindowKeepsEverySample()
{
    SampleHistory h;
    for (int i = 0; i < 300; ++i)   // one minute at 5 Hz
        h.add(sample(i * 200'000LL, i));
    const QList<QPointF> p = h.points(&ChartSample::receivedPerSec, 0, 60'000'000, 600);
    QCOMPARE(p.size(), 300);
    QCOMPARE(p.first(), QPointF(0, 0));
    QCOMPARE(p.last(), QPointF(59'800, 299));
}

void TstSampleHistory::longWindowDecimatesButKeepsPeaks()
{
    SampleHistory h;
    const qint64 hour = 3600LL * 1'000'000;
    for (qint64 t = 0; t <= hour; t += 200'000)
        h.add(sample(t, t == 1'234'400'000 ? 9999 : 10));
    const QList<QPointF> p = h.points(&ChartSample::receivedPerSec, 0, hour, 600);
    QVERIFY(p.size() <= 600);
    QVERIFY(p.size() >= 300);
    double peak = 0;
    for (const QPointF &pt : p)
        peak = std::max(peak, pt.y());
    QCOMPARE(peak, 9999.0);
    for (int i = 1; i < p.size(); ++i)
        QVERIFY(p[i].x() >= p[i - 1].x());
    QCOMPARE(h.maximum(&ChartSample::receivedPerSec, 0, hour), 9999.0);
}

void TstSampleHistory::forgetsAfterAnHour()
{
    SampleHistory h(10'000'000);
    for (int i = 0; i < 100; ++i)
        h.add(sample(i * 1'000'000LL, 1));
    QCOMPARE(h.size(), std::size_t(11));
}

void TstSampleHistory::findsSilences()
{
    // 5 Hz for 10 s, silent 30 s, 5 Hz for 10 s, silent 4 s, one more sample; a 2.8 s pause is not a silence.
    SampleHistory h;
    for (qint64 t = 0; t < 10'000'000; t += 200'000)
        h.add(sample(t, 1));
    for (qint64 t = 40'000'000; t < 50'000'000; t += 200'000)
        h.add(sample(t, 1));
    h.add(sample(52'600'000, 1));
    h.add(sample(56'600'000, 1));
    const auto gaps = h.gaps(0, 60'000'000, 3'000'000, 20);
    QCOMPARE(gaps.size(), std::size_t(2));
    QCOMPARE(gaps[0], std::make_pair(qint64(9'800'000), qint64(40'000'000)));
    QCOMPARE(gaps[1], std::make_pair(qint64(52'600'000), qint64(56'600'000)));
    // Only the newest when capped; none outside the range asked.
    const auto newest = h.gaps(0, 60'000'000, 3'000'000, 1);
    QCOMPARE(newest.size(), std::size_t(1));
    QCOMPARE(newest[0].first, qint64(52'600'000));
    QVERIFY(h.gaps(40'000'000, 50'000'000, 3'000'000, 20).empty());
    QVERIFY(SampleHistory().gaps(0, 1, 1, 20).empty());
}

void TstSampleHistory::latencyBuckets_data()
{
    QTest::addColumn<qint64>("us");
    for (const qint64 us : {1LL, 7LL, 100LL, 999LL, 12'345LL, 1'000'000LL, 86'400'000'000LL})
        QTest::newRow(qPrintable(QString::number(us))) << us;
}

void TstSampleHistory::latencyBuckets()
{
    QFETCH(qint64, us);
    const int b = CommitLatency::bucketOf(us);
    QVERIFY(CommitLatency::upperBoundUs(b) >= us);
    // About 9 % resolution above the first octaves.
    if (us >= 16)
        QVERIFY(CommitLatency::upperBoundUs(b) <= us * 1.13 + 1);
}

void TstSampleHistory::latencyPercentiles()
{
    CommitLatency latency;
    test::CommittedBatch b;
    const qint64 end = 1'700'000'000'000'000;
    for (int i = 0; i < 100; ++i)   // 1 ms .. 100 ms
        b.add("t", "{}", end - (i + 1) * 1000);
    latency.transactionFinished(b.report(end));
    const auto p = latency.percentiles(end);
    QCOMPARE(p.rows, std::uint64_t(100));
    QVERIFY2(p.p50Us >= 50'000 && p.p50Us <= 55'000, qPrintable(QString::number(p.p50Us)));
    QVERIFY2(p.p99Us >= 99'000 && p.p99Us <= 100'000, qPrintable(QString::number(p.p99Us)));
    QCOMPARE(p.maxUs, qint64(100'000));
    // A minute later the window is empty.
    QCOMPARE(latency.percentiles(end + 61'000'000).rows, std::uint64_t(0));
}

QTEST_APPLESS_MAIN(TstSampleHistory)
#include "tst_samplehistory.moc"
