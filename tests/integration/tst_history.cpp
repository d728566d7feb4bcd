// SPDX-License-Identifier: MIT
// History queries on the real PostgreSQL and a real SQLite file with known data: the database's buckets (count,
// min, mean, max) equal the ones computed here from the same generator, for a whole hour, a zoomed re-query at
// finer buckets, wildcard topics, non-numbers skipped, a [[mappings]] table; bad requests; a cancelled query stops
// (a query over a view that never ends returns only through the cancel), and the runner works on afterwards.
#include "history/historyrunner.h"
#include "readingsprobe.h"
#include "testdatabase.h"
#include "testenv.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <functional>
#include <optional>

using namespace iot;
using namespace iot::test;

namespace {

constexpr qint64 Second = 1000000;
constexpr qint64 T0 = qint64(1767225600) * Second;  // 2026-01-01T00:00:00Z
constexpr int Rows = 3600;

// The stored readings, one per second per topic: time and the numeric value (none: not a number or missing).
struct Point
{
    std::int64_t us;
    std::optional<double> v;
};
using Generator = std::function<Point(int)>;

Point topicA(int i)  // h/a/temp: 0..9, every 100th a string
{
    return {T0 + i * Second + 250000, i % 100 == 0 ? std::nullopt : std::optional<double>(i % 10)};
}
Point topicB(int i)  // h/b/temp: halves, exact in binary
{
    return {T0 + i * Second + 250000, 100 + i * 0.5};
}
Point mapped(int i)  // table rooms, column t
{
    return {T0 + i * Second, double(i % 7)};
}

QList<HistoryBucket> expected(const Generator &g, std::int64_t from, std::int64_t to, std::int64_t width)
{
    QMap<std::int64_t, HistoryBucket> buckets;
    QMap<std::int64_t, double> sums;
    for (int i = 0; i < Rows; ++i) {
        const Point p = g(i);
        if (p.us < from || p.us >= to || !p.v)
            continue;
        const std::int64_t k = (p.us - from) / width;
        HistoryBucket &b = buckets[k];
        if (b.count == 0) {
            b.startUs = from + k * width;
            b.min = b.max = *p.v;
        }
        b.min = std::min(b.min, *p.v);
        b.max = std::max(b.max, *p.v);
        ++b.count;
        sums[k] += *p.v;
    }
    QList<HistoryBucket> out;
    for (auto it = buckets.begin(); it != buckets.end(); ++it) {
        it->mean = sums[it.key()] / double(it->count);
        out << *it;
    }
    return out;
}

QString describe(const HistoryBucket &b)
{
    return QStringLiteral("start %1 min %2 mean %3 max %4 count %5")
        .arg(b.startUs).arg(b.min, 0, 'g', 17).arg(b.mean, 0, 'g', 17).arg(b.max, 0, 'g', 17).arg(b.count);
}

/// Empty when equal; else the first difference.
QString compare(const QList<HistoryBucket> &got, const QList<HistoryBucket> &want)
{
    if (got.size() != want.size())
        return QStringLiteral("%1 buckets, expected %2").arg(got.size()).arg(want.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        const HistoryBucket &g = got[i], &w = want[i];
        if (g.startUs != w.startUs || g.min != w.min || g.mean != w.mean || g.max != w.max || g.count != w.count)
            return QStringLiteral("bucket %1: %2, expected %3").arg(i).arg(describe(g), describe(w));
    }
    return {};
}

MappingRule roomsRule()
{
    MappingRule r;
    r.name = QStringLiteral("rooms");
    r.topics = {QStringLiteral("m/{room}")};
    r.table = QStringLiteral("rooms");
    r.timeColumn = QStringLiteral("at");
    ColumnMapping room{QStringLiteral("room"), ColumnMapping::Type::Text, ColumnMapping::Source::TopicSegment,
                       QStringLiteral("room")};
    ColumnMapping t{QStringLiteral("t"), ColumnMapping::Type::Double, ColumnMapping::Source::JsonPointer,
                    QStringLiteral("/t")};
    ColumnMapping at{QStringLiteral("at"), ColumnMapping::Type::Timestamptz, ColumnMapping::Source::ReceivedAt, {}};
    ColumnMapping topic{QStringLiteral("topic_name"), ColumnMapping::Type::Text, ColumnMapping::Source::Topic, {}};
    r.columns = {room, t, at, topic};
    return r;
}

} // namespace

class TstHistory final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void buckets_data();
    void buckets();
    void badRequests_data();
    void badRequests();
    void cancel_data();
    void cancel();

private:
    bool fill(ReadingsProbe &probe);
    std::unique_ptr<QTemporaryDir> m_dir;
    QMap<QString, Config> m_configs;
};

bool TstHistory::fill(ReadingsProbe &probe)
{
    const bool pg = probe.isPostgres();
    QStringList sql;
    // The raw readings table as the subscriber makes it (core/storage/sql/*_schema.sql).
    sql << (pg ? QStringLiteral("CREATE TABLE readings (received_at timestamptz NOT NULL, topic text NOT NULL, "
                                "payload jsonb NOT NULL)")
               : QStringLiteral("CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, "
                                "payload TEXT NOT NULL)"))
        << (pg ? QStringLiteral("CREATE TABLE rooms (room text, t double precision, at timestamptz, topic_name text)")
               : QStringLiteral("CREATE TABLE rooms (room TEXT, t REAL, at TEXT, topic_name TEXT)"));
    // One row per second; `time(i, frac)` spells T0 + i s + frac in the database's own form.
    const auto rows = [&](const QString &topic, const QString &payload, const QString &table = QStringLiteral("readings"),
                          const QString &frac = QStringLiteral("250000")) {
        if (pg)
            return QStringLiteral("INSERT INTO %1 SELECT timestamptz '2026-01-01T00:00:00Z' + make_interval(secs => i) "
                                  "+ interval '%2 microseconds', %3, %4 FROM generate_series(0, %5) AS g(i)")
                .arg(table, frac, topic, payload).arg(Rows - 1);
        return QStringLiteral("WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < %5) "
                              "INSERT INTO %1 SELECT strftime('%Y-%m-%dT%H:%M:%S', 1767225600 + i, 'unixepoch') || "
                              "'.%2Z', %3, %4 FROM g")
            .arg(table, frac, topic, payload).arg(Rows - 1);
    };
    const QString obj = pg ? QStringLiteral("jsonb_build_object") : QStringLiteral("json_object");
    sql << rows(QStringLiteral("'h/a/temp'"),
                QStringLiteral("CASE WHEN i % 100 = 0 THEN '{\"v\":\"text\"}' ELSE %1('v', i % 10) END").arg(obj))
        << rows(QStringLiteral("'h/b/temp'"), QStringLiteral("%1('v', 100 + i * 0.5)").arg(obj))
        // Matched by the SQL prefix of h/+/temp but not by the filter: the exact match drops it.
        << rows(QStringLiteral("'h/a/b/temp'"), QStringLiteral("%1('v', 1000)").arg(obj))
        << rows(QStringLiteral("'other/x'"), QStringLiteral("%1('v', 5)").arg(obj))
        // No /v at all: skipped like a string.
        << rows(QStringLiteral("'h/a/temp'"), QStringLiteral("%1('w', 1)").arg(obj), QStringLiteral("readings"),
                QStringLiteral("500000"))
        // JSON values that are not numbers (true would be 1 to SQLite's json_extract): skipped like a string.
        << rows(QStringLiteral("'h/a/temp'"),
                QStringLiteral("CASE i % 4 WHEN 0 THEN '{\"v\":true}'%1 WHEN 1 THEN '{\"v\":[1]}'%1 "
                               "WHEN 2 THEN '{\"v\":{\"x\":1}}'%1 ELSE '{\"v\":null}'%1 END")
                    .arg(pg ? QStringLiteral("::jsonb") : QString()),
                QStringLiteral("readings"), QStringLiteral("750000"));
    if (pg)
        sql << QStringLiteral("INSERT INTO rooms SELECT 'r1', i % 7, timestamptz '2026-01-01T00:00:00Z' + "
                              "make_interval(secs => i), 'm/r1' FROM generate_series(0, %1) AS g(i)").arg(Rows - 1);
    else
        sql << QStringLiteral("WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < %1) "
                              "INSERT INTO rooms SELECT 'r1', i % 7, strftime('%Y-%m-%dT%H:%M:%S', 1767225600 + i, "
                              "'unixepoch') || '.000000Z', 'm/r1' FROM g").arg(Rows - 1);
    // A view that never ends, for the cancel: only a cancel brings its aggregate back.
    sql << (pg ? QStringLiteral("CREATE VIEW endless AS SELECT timestamptz '2026-01-01T00:00:01Z' AS received_at, "
                                "'h/a/temp'::text AS topic, '{\"v\":1}'::jsonb AS payload "
                                "FROM generate_series(1, 1000000000000) AS g(i)")
               : QStringLiteral("CREATE VIEW endless AS WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g) "
                                "SELECT '2026-01-01T00:00:01.000000Z' AS received_at, 'h/a/temp' AS topic, "
                                "'{\"v\":1}' AS payload FROM g"));
    for (const QString &s : sql)
        if (!probe.exec(s)) {
            qWarning("%s: %s", qPrintable(s), qPrintable(probe.error()));
            return false;
        }
    return true;
}

void TstHistory::initTestCase()
{
    IOT_REQUIRE_SERVERS(srv);
    m_dir = std::make_unique<QTemporaryDir>(srv.tmp + QStringLiteral("/history-XXXXXX"));
    QVERIFY(m_dir->isValid());

    Config pg;
    pg.database = pgDatabase(srv, QStringLiteral("iot_history"));
    pg.mappings = {roomsRule()};
    {
        ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, pg.database.name);
        QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
        QVERIFY(fill(probe));
    }
    m_configs.insert(QStringLiteral("postgres"), pg);

    Config lite;
    lite.database.driver = DbDriver::Sqlite;
    lite.database.path = m_dir->filePath(QStringLiteral("history.sqlite"));
    lite.mappings = {roomsRule()};
    {
        ReadingsProbe probe = ReadingsProbe::sqlite(lite.database.path);
        QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
        QVERIFY(fill(probe));
    }
    m_configs.insert(QStringLiteral("sqlite"), lite);
}

void TstHistory::buckets_data()
{
    QTest::addColumn<QString>("db");
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QStringList>("topics");
    QTest::addColumn<qint64>("from");
    QTest::addColumn<qint64>("to");
    QTest::addColumn<int>("maxBuckets");
    QTest::addColumn<qint64>("width");
    for (const QString &db : {QStringLiteral("postgres"), QStringLiteral("sqlite")}) {
        const auto name = [&](const char *what) { return qPrintable(db + QLatin1Char(':') + QLatin1String(what)); };
        const QStringList wild{QStringLiteral("h/+/temp")};
        // The whole hour in 60 buckets of a minute.
        QTest::newRow(name("hour")) << db << QString() << QStringLiteral("/v") << wild << T0 << T0 + Rows * Second
                                    << 60 << 60 * Second;
        // Zoomed into two minutes of it: 60 buckets of 2 s.
        QTest::newRow(name("zoom")) << db << QString() << QStringLiteral("/v") << wild << T0 + 600 * Second
                                    << T0 + 720 * Second << 60 << 2 * Second;
        // Exact topics, the default 2,000 buckets (1.8 s), a range that cuts the data at both ends.
        QTest::newRow(name("exact")) << db << QString() << QStringLiteral("/v")
                                     << QStringList{QStringLiteral("h/a/temp"), QStringLiteral("h/b/temp")}
                                     << T0 - 100 * Second << T0 + 3500 * Second << 2000 << 1800000LL;
        // Buckets of a second around i = 700, whose only h/a/temp readings are not numbers: no bucket at all.
        QTest::newRow(name("seconds")) << db << QString() << QStringLiteral("/v") << wild << T0 + 690 * Second
                                       << T0 + 710 * Second << 20 << Second;
        QTest::newRow(name("mapped")) << db << QStringLiteral("rooms") << QStringLiteral("t")
                                      << QStringList{QStringLiteral("m/#")} << T0 << T0 + Rows * Second << 2000
                                      << 1800000LL;
    }
}

void TstHistory::buckets()
{
    QFETCH(QString, db);
    QFETCH(QString, table);
    QFETCH(QString, field);
    QFETCH(QStringList, topics);
    QFETCH(qint64, from);
    QFETCH(qint64, to);
    QFETCH(int, maxBuckets);
    QFETCH(qint64, width);
    HistoryRunner runner(m_configs.value(db));
    HistoryRequest request{topics, table, field, from, to, maxBuckets};
    const HistoryResult r = runner.run(request);
    QVERIFY2(r.ending == HistoryResult::Ending::Done, qPrintable(r.message));
    QCOMPARE(r.bucketUs, width);
    if (table.isEmpty()) {
        QCOMPARE(r.series.size(), 2);
        QCOMPARE(r.series[0].topic, QStringLiteral("h/a/temp"));
        QCOMPARE(r.series[1].topic, QStringLiteral("h/b/temp"));
        const QString a = compare(r.series[0].buckets, expected(topicA, from, to, width));
        QVERIFY2(a.isEmpty(), qPrintable(a));
        const QString b = compare(r.series[1].buckets, expected(topicB, from, to, width));
        QVERIFY2(b.isEmpty(), qPrintable(b));
        QVERIFY(r.series[0].buckets.size() <= maxBuckets);
    } else {
        QCOMPARE(r.series.size(), 1);
        QCOMPARE(r.series[0].topic, QStringLiteral("m/r1"));
        const QString m = compare(r.series[0].buckets, expected(mapped, from, to, width));
        QVERIFY2(m.isEmpty(), qPrintable(m));
    }
    // The same runner (and connection) answers a second query alike.
    const HistoryResult again = runner.run(request);
    QVERIFY2(again.ending == HistoryResult::Ending::Done, qPrintable(again.message));
    QCOMPARE(again.series.size(), r.series.size());
    QCOMPARE(again.series[0].buckets.size(), r.series[0].buckets.size());
}

void TstHistory::badRequests_data()
{
    QTest::addColumn<QString>("db");
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("field");
    QTest::addColumn<qint64>("to");
    for (const QString &db : {QStringLiteral("postgres"), QStringLiteral("sqlite")}) {
        const auto name = [&](const char *what) { return qPrintable(db + QLatin1Char(':') + QLatin1String(what)); };
        QTest::newRow(name("text column")) << db << QStringLiteral("rooms") << QStringLiteral("room") << T0 + Second;
        QTest::newRow(name("unknown table")) << db << QStringLiteral("nope") << QStringLiteral("t") << T0 + Second;
        QTest::newRow(name("not a pointer")) << db << QString() << QStringLiteral("v") << T0 + Second;
        QTest::newRow(name("empty range")) << db << QString() << QStringLiteral("/v") << T0;
    }
}

void TstHistory::badRequests()
{
    QFETCH(QString, db);
    QFETCH(QString, table);
    QFETCH(QString, field);
    QFETCH(qint64, to);
    HistoryRunner runner(m_configs.value(db));
    const HistoryResult r = runner.run(HistoryRequest{{}, table, field, T0, to, 100});
    QCOMPARE(r.ending, HistoryResult::Ending::BadRequest);
    QVERIFY(!r.message.isEmpty());
}

void TstHistory::cancel_data()
{
    QTest::addColumn<QString>("db");
    QTest::newRow("postgres") << QStringLiteral("postgres");
    QTest::newRow("sqlite") << QStringLiteral("sqlite");
}

void TstHistory::cancel()
{
    QFETCH(QString, db);
    Config endless = m_configs.value(db);
    endless.database.table = QStringLiteral("endless");
    HistoryRunner runner(endless);
    HistoryResult result;
    std::atomic<bool> done{false};
    std::unique_ptr<QThread> worker(QThread::create([&] {
        result = runner.run(HistoryRequest{{QStringLiteral("h/a/temp")}, {}, QStringLiteral("/v"), T0,
                                           T0 + Rows * Second, 100});
        done = true;
    }));
    worker->start(QThread::LowPriority);
    // The query never ends by itself: while it runs, nothing comes back.
    QTest::qWait(500);
    QVERIFY(!done);
    runner.cancel();
    QTRY_VERIFY_WITH_TIMEOUT(done, 20000);
    QVERIFY(worker->wait(5000));
    QCOMPARE(result.ending, HistoryResult::Ending::Cancelled);
    QVERIFY(result.series.isEmpty());
}

QTEST_GUILESS_MAIN(TstHistory)
#include "tst_history.moc"
