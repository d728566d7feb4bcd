// SPDX-License-Identifier: MIT
// TopicTreeModel fed by TopicStats: hierarchy, sums, staleness, filtering, and 10,000 topics updated
// incrementally (insertions per parent, dataChanged per parent, never a reset).
#include "batchfixture.h"
#include "topicfilterproxy.h"
#include "observability/topicstats.h"
#include "topictreemodel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

using namespace iot;
using iot::test::CommittedBatch;

namespace {

// Pulls what changed since `version` and applies it, as TopicPanel does.
std::uint64_t pull(const TopicStats &stats, TopicTreeModel &model, std::uint64_t version, qint64 nowUs)
{
    std::vector<TopicSample> changes;
    const auto next = stats.changesSince(version, changes);
    model.apply(changes, nowUs, 0);
    return next;
}

QModelIndex child(const QAbstractItemModel &m, const QModelIndex &parent, const QString &name)
{
    for (int r = 0; r < m.rowCount(parent); ++r)
        if (m.index(r, 0, parent).data().toString() == name)
            return m.index(r, 0, parent);
    return {};
}

} // namespace

class TstTopicTreeModel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hierarchyAndSums();
    void staleTopicsAreMarkedInWords();
    void filterMatchesTopicAndPayload();
    void tenThousandTopicsIncrementally();
    void deepTopicCostsItsLengthNotItsSquare();
};

void TstTopicTreeModel::hierarchyAndSums()
{
    TopicStats stats;
    TopicTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    CommittedBatch b;
    b.add("lab/a/t1", R"({"temperature":21.5,"room":"a"})", 1'000'000);
    b.add("lab/a/t1", R"({"temperature":21.7,"room":"a"})", 2'000'000);
    b.add("lab/a/t2", R"({"temperature":19})", 2'000'000);
    b.add("lab/b", "plain text", 2'500'000);
    b.add("other", "{}", 3'000'000);
    stats.transactionFinished(b.report(3'100'000));
    pull(stats, model, 0, 3'200'000);

    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.topicCount(), 4);
    const QModelIndex lab = child(model, {}, QStringLiteral("lab"));
    QVERIFY(lab.isValid());
    QCOMPARE(lab.siblingAtColumn(TopicTreeModel::CountColumn).data().toString(), QStringLiteral("4"));
    const QModelIndex a = child(model, lab, QStringLiteral("a"));
    QCOMPARE(model.rowCount(a), 2);
    const QModelIndex t1 = child(model, a, QStringLiteral("t1"));
    QCOMPARE(t1.data(TopicTreeModel::TopicRole).toString(), QStringLiteral("lab/a/t1"));
    QCOMPARE(t1.siblingAtColumn(TopicTreeModel::CountColumn).data().toString(), QStringLiteral("2"));
    QCOMPARE(t1.siblingAtColumn(TopicTreeModel::ValueColumn).data().toString(),
             QStringLiteral("room: a, temperature: 21.7"));   // QJsonObject orders keys
    QVERIFY(model.sample(t1));
    QVERIFY(!model.sample(a));   // an interior node
    QCOMPARE(model.indexOfTopic(QStringLiteral("lab/b")).siblingAtColumn(TopicTreeModel::ValueColumn).data().toString(),
             QStringLiteral("plain text"));
    // Rates are summed up the tree.
    model.refreshTimes(2'100'000, 0);
    QVERIFY(model.rate(t1) > 0);
    QVERIFY(model.rate(lab) >= model.rate(t1));
}

void TstTopicTreeModel::staleTopicsAreMarkedInWords()
{
    TopicStats stats;
    TopicTreeModel model;
    for (int i = 0; i < 4; ++i) {
        CommittedBatch b;
        b.add("plant/pump", "{}", (i + 1) * 1'000'000LL);
        b.add("plant/valve", "{}", (i + 1) * 1'000'000LL);
        stats.transactionFinished(b.report((i + 1) * 1'000'000LL));
    }
    auto v = pull(stats, model, 0, 4'000'000);
    // The valve goes on, the pump falls silent.
    for (int i = 4; i < 10; ++i) {
        CommittedBatch b;
        b.add("plant/valve", "{}", (i + 1) * 1'000'000LL);
        stats.transactionFinished(b.report((i + 1) * 1'000'000LL));
    }
    v = pull(stats, model, v, 10'000'000);
    model.refreshTimes(10'100'000, 0);
    QCOMPARE(model.staleCount(), 1);
    const QModelIndex pump = model.indexOfTopic(QStringLiteral("plant/pump"));
    QVERIFY(pump.data(TopicTreeModel::StaleRole).toBool());
    QVERIFY(pump.siblingAtColumn(TopicTreeModel::LastSeenColumn).data().toString().contains(QStringLiteral("stale")));
    QVERIFY(pump.data(Qt::ToolTipRole).toString().contains(QStringLiteral("Stale")));
    QVERIFY(!model.indexOfTopic(QStringLiteral("plant/valve")).data(TopicTreeModel::StaleRole).toBool());
    // The parent says something below is stale.
    QVERIFY(model.indexOfTopic(QStringLiteral("plant")).siblingAtColumn(TopicTreeModel::LastSeenColumn).data()
                .toString().contains(QStringLiteral("1 stale below")));
}

void TstTopicTreeModel::filterMatchesTopicAndPayload()
{
    TopicStats stats;
    TopicTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    TopicFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    CommittedBatch b;
    b.add("lab/a/t1", R"({"status":"ALARM"})", 1);
    b.add("lab/a/t2", R"({"status":"ok"})", 2);
    b.add("lab/b/h1", R"({"status":"ok"})", 3);
    stats.transactionFinished(b.report(4));
    pull(stats, model, 0, 5);
    proxy.setFilterText(QStringLiteral("alarm"));   // payload, case-insensitive
    const QModelIndex lab = proxy.index(0, 0);
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(proxy.rowCount(lab), 1);
    QCOMPARE(proxy.rowCount(proxy.index(0, 0, lab)), 1);
    proxy.setFilterText(QStringLiteral("b/h"));     // topic
    QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 1);
    QCOMPARE(proxy.index(0, 0, proxy.index(0, 0)).data().toString(), QStringLiteral("b"));
    proxy.setFilterText(QString());
    QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 2);
}

void TstTopicTreeModel::tenThousandTopicsIncrementally()
{
    TopicStats stats;
    TopicTreeModel model;
    TopicFilterProxy proxy;
    proxy.setSourceModel(&model);
    QTreeView view;
    view.setUniformRowHeights(true);
    view.setModel(&proxy);
    view.resize(800, 600);
    view.show();
    // No QAbstractItemModelTester here: it re-checks the model on every signal and would dominate the times
    // printed below (hierarchyAndSums and filterMatchesTopicAndPayload run under it).
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);

    // 100 rooms × 100 devices, in ten transactions as the writer would commit them.
    constexpr int Rooms = 100, Devices = 100;
    for (int t = 0; t < 10; ++t) {
        CommittedBatch b;
        for (int room = t * 10; room < t * 10 + 10; ++room)
            for (int dev = 0; dev < Devices; ++dev)
                b.add(QStringLiteral("site/room-%1/dev-%2").arg(room, 3, 10, QLatin1Char('0')).arg(dev, 3, 10,
                                                                                                   QLatin1Char('0')).toUtf8(),
                      R"({"v":1})", 1'000'000 + t);
        stats.transactionFinished(b.report(2'000'000));
    }
    QElapsedTimer clock;
    clock.start();
    auto version = pull(stats, model, 0, 2'000'000);
    const qint64 firstPullMs = clock.elapsed();
    QCOMPARE(stats.topicCount(), std::size_t(Rooms * Devices));
    QCOMPARE(model.topicCount(), Rooms * Devices);
    QCOMPARE(model.nodeCount(), 1 + Rooms + Rooms * Devices);
    // One insertion per parent: root, site, and each room.
    QCOMPARE(inserted.count(), 1 + 1 + Rooms);
    clock.restart();
    view.expandAll();
    QCoreApplication::processEvents();
    const qint64 expandMs = clock.elapsed();

    // Fifty devices in five rooms report again: only they are pulled, nothing is inserted or reset.
    inserted.clear();
    changed.clear();
    CommittedBatch update;
    for (int room = 0; room < 5; ++room)
        for (int dev = 0; dev < 10; ++dev)
            update.add(QStringLiteral("site/room-%1/dev-%2").arg(room, 3, 10, QLatin1Char('0')).arg(dev, 3, 10,
                                                                                                 QLatin1Char('0')).toUtf8(),
                       R"({"v":2})", 3'000'000);
    stats.transactionFinished(update.report(3'100'000));
    std::vector<TopicSample> changes;
    version = stats.changesSince(version, changes);
    QCOMPARE(changes.size(), std::size_t(50));
    clock.restart();
    model.apply(changes, 3'200'000, 0);
    QCoreApplication::processEvents();
    const qint64 updateMs = clock.elapsed();
    QCOMPARE(inserted.count(), 0);
    // One range per parent that had changed rows: 5 rooms, the site (its rooms) and the root (the site).
    QCOMPARE(changed.count(), 5 + 1 + 1);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(layout.count(), 0);
    const QModelIndex room3 = model.indexOfTopic(QStringLiteral("site/room-003"));
    QCOMPARE(room3.siblingAtColumn(TopicTreeModel::CountColumn).data().toString(), QStringLiteral("110"));
    QCOMPARE(model.indexOfTopic(QStringLiteral("site/room-003/dev-004")).data(TopicTreeModel::PayloadRole)
                 .toByteArray(),
             QByteArray(R"({"v":2})"));
    // The once-a-second pass over all nodes is also one range per parent.
    changed.clear();
    clock.restart();
    model.refreshTimes(3'300'000, 0);
    QCoreApplication::processEvents();
    // Reported, not asserted: the benchmark judges speed; this shows the order of magnitude in the test log.
    qInfo("10,000 topics: first pull %lld ms, expand all %lld ms, update of 50 %lld ms, time refresh %lld ms",
          firstPullMs, expandMs, updateMs, clock.elapsed());
    QVERIFY(changed.count() <= 1 + 1 + Rooms);
    QCOMPARE(reset.count(), 0);
    QCoreApplication::processEvents();
}

void TstTopicTreeModel::deepTopicCostsItsLengthNotItsSquare()
{
    // MQTT's longest topic, 32,000 levels: the tree used to keep the full prefix per level, ~2 GiB for this one.
    QByteArray deep = "d";
    for (int i = 1; i < 32000; ++i)
        deep += "/l";
    deep += '/' + QByteArray(65535 - deep.size() - 1, 'e');
    QCOMPARE(deep.size(), qsizetype(65535));
    TopicStats stats;
    TopicTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    CommittedBatch b;
    b.add(deep, "{}", 1'000'000);
    b.add("d/l/other", "{}", 1'000'000);
    stats.transactionFinished(b.report(2));
    QElapsedTimer timer;
    timer.start();
    pull(stats, model, 0, 2'000'000);
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));

    // MaxDepth nodes for the deep topic (the last holds the rest of it), one more for d/l/other.
    QCOMPARE(model.nodeCount(), TopicTreeModel::MaxDepth + 1);
    QCOMPARE(model.topicCount(), 2);
    const QModelIndex leaf = model.indexOfTopic(QString::fromUtf8(deep));
    QVERIFY(leaf.isValid());
    QVERIFY(leaf.data(TopicTreeModel::IsTopicRole).toBool());
    QCOMPARE(leaf.data(TopicTreeModel::TopicRole).toString(), QString::fromUtf8(deep));
    QVERIFY(leaf.data().toString().startsWith(QStringLiteral("l/l/")));
    QCOMPARE(model.indexOfTopic(QStringLiteral("d/l/other")).data().toString(), QStringLiteral("other"));
    QVERIFY(!model.indexOfTopic(QStringLiteral("d/l/l")).data(TopicTreeModel::IsTopicRole).toBool());
    QVERIFY(!model.indexOfTopic(QStringLiteral("d/x")).isValid());
    int depth = 0;
    for (QModelIndex i = leaf; i.isValid(); i = i.parent())
        ++depth;
    QCOMPARE(depth, TopicTreeModel::MaxDepth);
}

QTEST_MAIN(TstTopicTreeModel)
#include "tst_topictreemodel.moc"
