// SPDX-License-Identifier: MIT
// "Last values at start": readings stored by an earlier run (real SQLite file; real PostgreSQL from the test
// servers) fill the topic tree before any live message — each topic with its latest payload, last-seen time and
// its count over the last day, marked stored; older topics are not shown; the first live message of a topic
// clears its mark and the stored count goes on; a topic seen live before the database answered is left alone;
// and through the real start path (engine, EngineHost, window) on an earlier run's file.
#include "batchfixture.h"
#include "config/configloader.h"
#include "engine.h"
#include "enginehost.h"
#include "mainwindow.h"
#include "topicpanel.h"
#include "history/storedtopics.h"
#include "readingsprobe.h"
#include "testdatabase.h"
#include "testenv.h"
#include "observability/topicstats.h"
#include "topictreemodel.h"
#include "util/timeformat.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

constexpr std::int64_t HourUs = 3600LL * 1000000;

QString iso(std::int64_t us)
{
    char buf[TimeFormat::IsoLength];
    TimeFormat::isoUtc(us, buf);
    return QString::fromLatin1(buf, TimeFormat::IsoLength);
}

} // namespace

class TstStoredTopics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void treeFromDatabase_data();
    void treeFromDatabase();
    void windowAtStart();
};

void TstStoredTopics::treeFromDatabase_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("sqlite") << false;
    QTest::newRow("postgres") << true;
}

void TstStoredTopics::treeFromDatabase()
{
    QFETCH(bool, postgres);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Config config;
    std::optional<ReadingsProbe> probe;
    if (postgres) {
        IOT_REQUIRE_SERVERS(srv);
        config.database = pgDatabase(srv, QStringLiteral("iot_storedtopics"));
        probe.emplace(ReadingsProbe::freshPostgres(srv, config.database.name));
        QVERIFY(probe->exec(QStringLiteral("CREATE TABLE readings (received_at timestamptz NOT NULL, topic text NOT "
                                           "NULL, payload jsonb NOT NULL)")));
    } else {
        config.database.path = dir.filePath(QStringLiteral("earlier.sqlite"));
        probe.emplace(ReadingsProbe::sqlite(config.database.path));
        QVERIFY(probe->exec(QStringLiteral("CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, "
                                           "payload TEXT NOT NULL)")));
    }
    // The earlier run: lab/a three times in the last day (and once two days ago), lab/b once, old/c two days ago.
    const std::int64_t now = TimeFormat::nowUs();
    const std::int64_t lastA = now - HourUs + 123456;
    const struct { std::int64_t at; const char *topic; const char *payload; } rows[] = {
        {now - 48 * HourUs, "lab/a", "{\"t\":1}"}, {now - 5 * HourUs, "lab/a", "{\"t\":2}"},
        {lastA, "lab/a", "{\"t\":4}"},            {now - 3 * HourUs, "lab/a", "{\"t\":3}"},
        {now - 2 * HourUs, "lab/b", "{\"h\":50}"}, {now - 48 * HourUs, "old/c", "{\"x\":0}"},
    };
    for (const auto &r : rows)
        QVERIFY2(probe->exec(QStringLiteral("INSERT INTO readings VALUES ('%1', '%2', '%3')")
                                 .arg(iso(r.at), QLatin1String(r.topic), QLatin1String(r.payload))),
                 qPrintable(probe->error()));

    // The new run: lab/live arrived before the database answered.
    TopicStats stats;
    CommittedBatch early;
    early.add("lab/b", "{\"h\":61}", now - 1000);
    stats.transactionFinished(early.report(now));

    auto loaded = StoredTopics::load(config, now - 24 * HourUs);
    QVERIFY2(loaded.ok(), qPrintable(loaded.ok() ? QString() : loaded.error().message));
    QCOMPARE(loaded.value().size(), 2);  // old/c is older than a day
    stats.seedStored(loaded.value());

    TopicTreeModel model;
    std::vector<TopicSample> changes;
    stats.changesSince(0, changes);
    model.apply(changes, now, 0);
    QCOMPARE(model.topicCount(), 2);
    QVERIFY(!model.indexOfTopic(QStringLiteral("old/c")).isValid());
    const QModelIndex a = model.indexOfTopic(QStringLiteral("lab/a"));
    QVERIFY(a.isValid());
    // (PostgreSQL's jsonb prints a space after the colon.)
    QCOMPARE(a.data(TopicTreeModel::PayloadRole).toByteArray().replace(" ", ""), QByteArray("{\"t\":4}"));
    QCOMPARE(a.data(TopicTreeModel::StoredRole).toBool(), true);
    QCOMPARE(model.index(a.row(), TopicTreeModel::CountColumn, a.parent()).data().toString(), QStringLiteral("3"));
    QCOMPARE(model.index(a.row(), TopicTreeModel::LastSeenColumn, a.parent()).data(TopicTreeModel::SortRole).toLongLong(),
             lastA);
    QVERIFY(model.index(a.row(), TopicTreeModel::LastSeenColumn, a.parent()).data().toString().contains(
        QStringLiteral("stored")));
    // Seen live before the answer: the live state stays (payload, count 1, not stored).
    const QModelIndex b = model.indexOfTopic(QStringLiteral("lab/b"));
    QCOMPARE(b.data(TopicTreeModel::PayloadRole).toByteArray(), QByteArray("{\"h\":61}"));
    QCOMPARE(b.data(TopicTreeModel::StoredRole).toBool(), false);

    // lab/a's first live message: no longer marked, its count goes on from the stored one.
    const std::uint64_t version = stats.version();
    CommittedBatch live;
    live.add("lab/a", "{\"t\":5}", now + 1000);
    stats.transactionFinished(live.report(now + 2000));
    changes.clear();
    stats.changesSince(version, changes);
    model.apply(changes, now + 2000, 0);
    const QModelIndex a2 = model.indexOfTopic(QStringLiteral("lab/a"));
    QCOMPARE(a2.data(TopicTreeModel::StoredRole).toBool(), false);
    QCOMPARE(a2.data(TopicTreeModel::PayloadRole).toByteArray(), QByteArray("{\"t\":5}"));
    QCOMPARE(model.index(a2.row(), TopicTreeModel::CountColumn, a2.parent()).data().toString(), QStringLiteral("4"));
}

// The real start path: a subscriber's SQLite file from an earlier run, a new engine and window on it — the Topics
// tree shows the stored topic (marked) although no message has arrived.
void TstStoredTopics::windowAtStart()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("earlier.sqlite"));
    setup.topic = QStringLiteral("storedtopics-nobody-publishes/#");
    {
        ReadingsProbe probe = ReadingsProbe::sqlite(setup.database);
        QVERIFY(probe.exec(QStringLiteral("CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, "
                                          "payload TEXT NOT NULL)")));
        QVERIFY(probe.exec(QStringLiteral("INSERT INTO readings VALUES ('%1', 'lab/freezer', '{\"t\":-18.5}')")
                               .arg(iso(TimeFormat::nowUs() - HourUs))));
    }
    auto config = ConfigLoader::loadString(subscriberConfig(srv, setup).toUtf8(), QStringLiteral("test.toml"));
    QVERIFY(config.ok());
    Engine engine(config.value());
    EngineHost host(engine);
    MainWindow window(host);
    window.show();
    QVERIFY(host.start().ok());
    QTRY_VERIFY_WITH_TIMEOUT(window.topics()->model()->indexOfTopic(QStringLiteral("lab/freezer")).isValid(), 20000);
    const QModelIndex freezer = window.topics()->model()->indexOfTopic(QStringLiteral("lab/freezer"));
    QCOMPARE(freezer.data(TopicTreeModel::StoredRole).toBool(), true);
    QCOMPARE(freezer.data(TopicTreeModel::PayloadRole).toByteArray(), QByteArray("{\"t\":-18.5}"));
    QSignalSpy finished(&host, &EngineHost::finished);
    host.stop();
    QVERIFY(finished.wait(30000));
}

QTEST_MAIN(TstStoredTopics)
#include "tst_storedtopics.moc"
