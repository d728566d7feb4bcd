// SPDX-License-Identifier: MIT
// TopicStats: per-topic counts, payloads, intervals and the incremental "changed since" pull.
#include "batchfixture.h"
#include "observability/topicstats.h"

#include <QTest>

using namespace iot;
using iot::test::CommittedBatch;

class TstTopicStats final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsAndLatestPayload();
    void onlyCommittedRowsCount();
    void intervalAndStaleness_data();
    void intervalAndStaleness();
    void changesSinceIsIncremental();
    void payloadIsCutButSizeKept();
    void topicsBeyondTheLimitAreCounted();
    void topicBytesBeyondTheBudgetAreCounted();
    void mirrorReplacesFiguresWithinBounds();
};

void TstTopicStats::countsAndLatestPayload()
{
    TopicStats stats;
    CommittedBatch b;
    b.add("a/x", R"({"v":1})", 1'000'000);
    b.add("a/y", R"({"v":2})", 1'100'000);
    b.add("a/x", R"({"v":3})", 1'200'000);
    stats.transactionFinished(b.report(1'300'000));
    std::vector<TopicSample> out;
    const auto v = stats.changesSince(0, out);
    QCOMPARE(v, stats.version());
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(stats.topicCount(), std::size_t(2));
    const TopicSample &x = out[0].topic == "a/x" ? out[0] : out[1];
    QCOMPARE(x.count, std::uint64_t(2));
    QCOMPARE(x.lastPayload, QByteArray(R"({"v":3})"));
    QCOMPARE(x.firstSeenUs, std::int64_t(1'000'000));
    QCOMPARE(x.lastSeenUs, std::int64_t(1'200'000));
    QCOMPARE(x.intervalUs, 200'000.0);
}

void TstTopicStats::onlyCommittedRowsCount()
{
    TopicStats stats;
    CommittedBatch b;
    b.add("t", "1", 10);
    b.add("t", "not json", 20);
    b.rows = {0};   // row 1 was dead-lettered
    TransactionReport r = b.report(30);
    stats.transactionFinished(r);
    r.outcome = TransactionReport::Outcome::Retry;
    stats.transactionFinished(r);
    std::vector<TopicSample> out;
    stats.changesSince(0, out);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].count, std::uint64_t(1));
    QCOMPARE(out[0].lastPayload, QByteArray("1"));
}

void TstTopicStats::intervalAndStaleness_data()
{
    QTest::addColumn<qint64>("silentUs");
    QTest::addColumn<qint64>("graceUs");
    QTest::addColumn<bool>("stale");
    QTest::newRow("just now") << qint64(500'000) << qint64(0) << false;
    QTest::newRow("2.9 intervals") << qint64(2'900'000) << qint64(0) << false;
    QTest::newRow("3.1 intervals") << qint64(3'100'000) << qint64(0) << true;
    QTest::newRow("3.1 intervals within batching grace") << qint64(3'100'000) << qint64(1'000'000) << false;
}

void TstTopicStats::intervalAndStaleness()
{
    QFETCH(qint64, silentUs);
    QFETCH(qint64, graceUs);
    QFETCH(bool, stale);
    TopicStats stats;
    // One reading a second, over several transactions.
    for (int t = 0; t < 5; ++t) {
        CommittedBatch b;
        b.add("s", "{}", (t + 1) * 1'000'000LL);
        stats.transactionFinished(b.report((t + 1) * 1'000'000LL + 100));
    }
    std::vector<TopicSample> out;
    stats.changesSince(0, out);
    QCOMPARE(out.size(), std::size_t(1));
    const TopicSample &s = out[0];
    QCOMPARE(s.count, std::uint64_t(5));
    QVERIFY(qAbs(s.intervalUs - 1e6) < 1);
    QCOMPARE(s.isStale(s.lastSeenUs + silentUs, graceUs), stale);
    QVERIFY(qAbs(s.ratePerSec(s.lastSeenUs + 100'000) - 1.0) < 1e-9);
    // Silence longer than usual makes the rate fall.
    QVERIFY(s.ratePerSec(s.lastSeenUs + 10'000'000) < 0.11);
}

void TstTopicStats::changesSinceIsIncremental()
{
    TopicStats stats;
    CommittedBatch first;
    for (int i = 0; i < 100; ++i)
        first.add("t/" + QByteArray::number(i), "{}", 1000 + i);
    stats.transactionFinished(first.report(5000));
    std::vector<TopicSample> out;
    const auto v1 = stats.changesSince(0, out);
    QCOMPARE(out.size(), std::size_t(100));
    out.clear();
    // Nothing new: nothing copied.
    QCOMPARE(stats.changesSince(v1, out), v1);
    QVERIFY(out.empty());
    CommittedBatch second;
    second.add("t/7", "{\"x\":1}", 6000);
    second.add("t/42", "{\"x\":2}", 6001);
    stats.transactionFinished(second.report(7000));
    const auto v2 = stats.changesSince(v1, out);
    QVERIFY(v2 > v1);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].topic, QByteArray("t/7"));   // oldest change first, ids stable
    QCOMPARE(out[0].id, std::uint32_t(7));
    QCOMPARE(out[1].topic, QByteArray("t/42"));
    // A third change to t/7 moves it behind t/42.
    CommittedBatch third;
    third.add("t/7", "{\"x\":3}", 8000);
    stats.transactionFinished(third.report(9000));
    out.clear();
    stats.changesSince(v1, out);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].topic, QByteArray("t/42"));
    QCOMPARE(out[1].topic, QByteArray("t/7"));
    QCOMPARE(out[1].lastPayload, QByteArray("{\"x\":3}"));
}

void TstTopicStats::payloadIsCutButSizeKept()
{
    TopicStats stats(16);
    CommittedBatch b;
    b.add("big", QByteArray(100, 'x'), 1);
    stats.transactionFinished(b.report(2));
    std::vector<TopicSample> out;
    stats.changesSince(0, out);
    QCOMPARE(out[0].lastPayload.size(), qsizetype(16));
    QCOMPARE(out[0].payloadSize, std::uint32_t(100));
    QVERIFY(out[0].payloadTruncated());
}

void TstTopicStats::topicsBeyondTheLimitAreCounted()
{
    TopicStats stats(64, 3);
    CommittedBatch b;
    for (int i = 0; i < 5; ++i)
        b.add("t/" + QByteArray::number(i), "{}", i + 1);
    b.add("t/0", "{}", 10);
    stats.transactionFinished(b.report(20));
    QCOMPARE(stats.topicCount(), std::size_t(3));
    QCOMPARE(stats.untrackedReadings(), std::uint64_t(2));
}

void TstTopicStats::topicBytesBeyondTheBudgetAreCounted()
{
    // Room for two 64 KiB topics' names, not three: the third is counted, not tracked; short ones still fit.
    TopicStats stats(64, 50000, 2 * 65535 + 10);
    CommittedBatch b;
    for (char c : {'a', 'b', 'c'})
        b.add(QByteArray(65535, c), "{}", 1);
    b.add("short", "{}", 2);
    b.add(QByteArray(65535, 'c'), "{}", 3);
    stats.transactionFinished(b.report(20));
    QCOMPARE(stats.topicCount(), std::size_t(3));
    QCOMPARE(stats.untrackedReadings(), std::uint64_t(2));
}

void TstTopicStats::mirrorReplacesFiguresWithinBounds()
{
    // A remote instance's /topics answers, mirrored: absolute figures replace the known ones (not added), new topics
    // within the bounds, the rest counted; only what an answer carried counts as changed.
    TopicStats stats(4, 2);
    const auto sample = [](const char *topic, std::uint64_t count, const char *payload) {
        TopicSample s;
        s.topic = topic;
        s.count = count;
        s.firstSeenUs = 1000;
        s.lastSeenUs = 2000 + std::int64_t(count);
        s.intervalUs = 500;
        s.lastPayload = payload;
        s.payloadSize = std::uint32_t(qstrlen(payload));
        s.version = 99;   // the remote's: not taken over
        return s;
    };
    stats.mirror({sample("a", 10, "{\"v\":1}"), sample("b", 5, "{}")}, 0);
    std::vector<TopicSample> out;
    const std::uint64_t v1 = stats.changesSince(0, out);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].count, std::uint64_t(10));
    QCOMPARE(out[0].lastPayload, QByteArray("{\"v\""));   // cut at this side's bound
    QCOMPARE(out[0].payloadSize, std::uint32_t(7));
    QCOMPARE(out[0].version, v1);
    out.clear();
    stats.mirror({sample("a", 12, "{}"), sample("c", 3, "{}")}, 4);
    stats.changesSince(v1, out);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].topic, QByteArray("a"));
    QCOMPARE(out[0].count, std::uint64_t(12));
    QCOMPARE(out[0].intervalUs, 500.0);
    QCOMPARE(stats.topicCount(), std::size_t(2));
    QCOMPARE(stats.untrackedReadings(), std::uint64_t(4 + 3));   // the remote's own, and "c" beyond maxTopics
}

QTEST_APPLESS_MAIN(TstTopicStats)
#include "tst_topicstats.moc"
