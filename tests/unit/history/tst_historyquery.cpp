// SPDX-License-Identifier: MIT
// HistoryQuery's pure parts: the bucket width for a range, and an RFC 6901 pointer spelled as PostgreSQL's #> path
// and as an SQLite JSON path (escapes ~0 ~1, quotes, array indexes); the request's mistakes as errors; PostgreSQL's
// bucket by date_bin() only from version 14 on.
#include "history/historyquery.h"

#include <QTest>

using namespace iot;

class TstHistoryQuery final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketWidth_data();
    void bucketWidth();
    void paths_data();
    void paths();
    void mistakes_data();
    void mistakes();
    void bucketByServerVersion();
};

void TstHistoryQuery::bucketWidth_data()
{
    QTest::addColumn<qint64>("span");
    QTest::addColumn<int>("maxBuckets");
    QTest::addColumn<qint64>("width");
    QTest::newRow("a week in 2,000") << qint64(604800) * 1000000 << 2000 << qint64(302400000);
    QTest::newRow("rounded up") << qint64(1001) << 1000 << qint64(2);
    QTest::newRow("shorter than the buckets") << qint64(5) << 2000 << qint64(1);
    QTest::newRow("no buckets asked") << qint64(10) << 0 << qint64(10);
}

void TstHistoryQuery::bucketWidth()
{
    QFETCH(qint64, span);
    QFETCH(int, maxBuckets);
    QFETCH(qint64, width);
    QCOMPARE(qint64(HistoryQuery::bucketWidth(1000, 1000 + span, maxBuckets)), width);
    // Never more buckets than asked for.
    QVERIFY((span + width - 1) / width <= std::max(1, maxBuckets));
}

void TstHistoryQuery::paths_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QByteArray>("pg");
    QTest::addColumn<QByteArray>("sqlite");
    QTest::newRow("whole document") << QString() << QByteArray("{}") << QByteArray("$");
    QTest::newRow("one key") << QStringLiteral("/temp") << QByteArray("{\"temp\"}") << QByteArray("$.\"temp\"");
    QTest::newRow("nested, index") << QStringLiteral("/values/0/v") << QByteArray("{\"values\",\"0\",\"v\"}")
                                   << QByteArray("$.\"values\"[0].\"v\"");
    QTest::newRow("escapes") << QStringLiteral("/a~1b/c~0d") << QByteArray("{\"a/b\",\"c~d\"}")
                             << QByteArray("$.\"a/b\".\"c~d\"");
    QTest::newRow("quote and backslash") << QStringLiteral("/x\"y\\z") << QByteArray("{\"x\\\"y\\\\z\"}") << QByteArray();
    QTest::newRow("empty key") << QStringLiteral("/") << QByteArray("{\"\"}") << QByteArray("$.\"\"");
}

void TstHistoryQuery::paths()
{
    QFETCH(QString, pointer);
    QFETCH(QByteArray, pg);
    QFETCH(QByteArray, sqlite);
    QCOMPARE(HistoryQuery::pgPath(pointer), pg);
    QCOMPARE(HistoryQuery::sqlitePath(pointer), sqlite);
}

void TstHistoryQuery::mistakes_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QString>("field");
    QTest::addColumn<qint64>("to");
    QTest::newRow("bad filter") << QStringLiteral("a/#/b") << QStringLiteral("/v") << qint64(2000);
    QTest::newRow("not a pointer") << QStringLiteral("a") << QStringLiteral("v") << qint64(2000);
    QTest::newRow("empty range") << QStringLiteral("a") << QStringLiteral("/v") << qint64(1000);
}

void TstHistoryQuery::mistakes()
{
    QFETCH(QString, topic);
    QFETCH(QString, field);
    QFETCH(qint64, to);
    const HistoryRequest request{{topic}, {}, field, 1000, to, 100};
    for (const auto dialect : {HistoryQuery::Dialect::Postgres, HistoryQuery::Dialect::Sqlite}) {
        const auto q = HistoryQuery::make(Config{}, request, dialect);
        QVERIFY(!q.ok());
        QVERIFY(!q.error().message.isEmpty());
    }
    // The same request made right is accepted.
    const HistoryRequest good{{QStringLiteral("a/+/b")}, {}, QStringLiteral("/v"), 1000, 2000, 100};
    QVERIFY(HistoryQuery::make(Config{}, good, HistoryQuery::Dialect::Sqlite).ok());
}

void TstHistoryQuery::bucketByServerVersion()
{
    // date_bin() from PostgreSQL 14 on; before it, and when the version is unknown, the form every version has.
    const HistoryRequest request{{QStringLiteral("a")}, {}, QStringLiteral("/v"), 1000, 2000, 100};
    const auto sql = [&](int version) {
        const auto q = HistoryQuery::make(Config{}, request, HistoryQuery::Dialect::Postgres, version);
        return q.ok() ? QString::fromUtf8(q.value().sql) : QString();
    };
    QVERIFY(sql(150020).contains(QLatin1String("date_bin($1")));
    QVERIFY(sql(140000).contains(QLatin1String("date_bin($1")));
    QVERIFY(!sql(130015).contains(QLatin1String("date_bin($1")));
    QVERIFY(!sql(0).contains(QLatin1String("date_bin($1")));
    QVERIFY(!sql(0).isEmpty());
    for (const int version : {0, 150020})
        QVERIFY2(!sql(version).contains(QLatin1String("${bucket")), qPrintable(sql(version)));
}

QTEST_GUILESS_MAIN(TstHistoryQuery)
#include "tst_historyquery.moc"
