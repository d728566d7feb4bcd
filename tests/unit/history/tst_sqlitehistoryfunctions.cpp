// SPDX-License-Identifier: MIT
// The SQL functions the history query registers on SQLite (history/sqlitehistoryfunctions.h), run by a real SQLite
// in memory: iot_number's type and value for numbers, non-numbers, NULL, nested and escaped pointers (and the same
// answer as json_type + json_extract wherever SQLite's JSON can say it); the receive time's text to µs; iot_buckets
// with values on a bucket's edge, the range's end exclusive, integers and reals, several topics, rows out of order.
#include "history/sqlitehistoryfunctions.h"
#include "history/historyquery.h"
#include "util/timeformat.h"

#include <QDateTime>
#include <QTest>

#include <sqlite3.h>

using namespace iot;

namespace {

constexpr qint64 Second = 1000000;
constexpr qint64 T0 = qint64(1767225600) * Second;  // 2026-01-01T00:00:00Z

/// One in-memory database with the functions installed; query() gives the first row's first column.
class Db
{
public:
    Db()
    {
        sqlite3_open(":memory:", &m_db);
        QString why;
        m_installed = SqliteHistoryFunctions::install(m_db, &why);
    }
    ~Db() { sqlite3_close(m_db); }
    Q_DISABLE_COPY_MOVE(Db)

    bool installed() const { return m_installed; }
    bool exec(const QByteArray &sql) { return sqlite3_exec(m_db, sql.constData(), nullptr, nullptr, nullptr) == SQLITE_OK; }
    QString error() const { return QString::fromUtf8(sqlite3_errmsg(m_db)); }

    struct Value
    {
        int type = SQLITE_NULL;
        QByteArray bytes;  // the text, or the BLOB
        double real = 0;
        qint64 integer = 0;
        bool ok = false;   // the statement ran
    };
    /// Runs `sql` with text parameters (a null QByteArray binds NULL).
    Value query(const char *sql, const QList<QByteArray> &params = {})
    {
        Value v;
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK)
            return v;
        for (int i = 0; i < params.size(); ++i) {
            if (params[i].isNull())
                sqlite3_bind_null(stmt, i + 1);
            else
                sqlite3_bind_text(stmt, i + 1, params[i].constData(), int(params[i].size()), SQLITE_TRANSIENT);
        }
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            v.ok = true;
            v.type = sqlite3_column_type(stmt, 0);
            v.real = sqlite3_column_double(stmt, 0);
            v.integer = sqlite3_column_int64(stmt, 0);
            const void *b = sqlite3_column_blob(stmt, 0);
            v.bytes = QByteArray(static_cast<const char *>(b), b ? sqlite3_column_bytes(stmt, 0) : 0);
        }
        sqlite3_finalize(stmt);
        return v;
    }

private:
    sqlite3 *m_db = nullptr;
    bool m_installed = false;
};

QByteArray iso(qint64 us)
{
    char buf[TimeFormat::IsoLength];
    TimeFormat::isoUtc(us, buf);  // the stored form
    return QByteArray(buf, TimeFormat::IsoLength);
}

} // namespace

class TstSqliteHistoryFunctions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void number_data();
    void number();
    void numberPointerMustStartWithSlash();
    void time_data();
    void time();
    void buckets();
    void bucketsOutOfOrderAndEmpty();
    void bucketsBadTime();
};

void TstSqliteHistoryFunctions::number_data()
{
    QTest::addColumn<QByteArray>("payload");  // null: SQL NULL
    QTest::addColumn<QByteArray>("pointer");
    QTest::addColumn<int>("type");            // SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_NULL
    QTest::addColumn<double>("value");
    QTest::addColumn<bool>("sameAsSqliteJson");  // json_type + json_extract give the same

    QTest::newRow("real") << QByteArray(R"({"temp": 21.5})") << QByteArray("/temp") << SQLITE_FLOAT << 21.5 << true;
    QTest::newRow("integer") << QByteArray(R"({"temp": 21})") << QByteArray("/temp") << SQLITE_INTEGER << 21.0 << true;
    QTest::newRow("negative exponent") << QByteArray(R"({"t":-1.5e3})") << QByteArray("/t") << SQLITE_FLOAT << -1500.0
                                       << true;
    QTest::newRow("integer beyond int64") << QByteArray(R"({"t": 9223372036854775808})") << QByteArray("/t")
                                          << SQLITE_FLOAT << 9223372036854775808.0 << true;
    QTest::newRow("string") << QByteArray(R"({"temp": "21.5"})") << QByteArray("/temp") << SQLITE_NULL << 0.0 << true;
    QTest::newRow("true") << QByteArray(R"({"temp": true})") << QByteArray("/temp") << SQLITE_NULL << 0.0 << true;
    QTest::newRow("null") << QByteArray(R"({"temp": null})") << QByteArray("/temp") << SQLITE_NULL << 0.0 << true;
    QTest::newRow("object") << QByteArray(R"({"temp": {"v": 1}})") << QByteArray("/temp") << SQLITE_NULL << 0.0 << true;
    QTest::newRow("missing") << QByteArray(R"({"hum": 40})") << QByteArray("/temp") << SQLITE_NULL << 0.0 << true;
    QTest::newRow("NULL payload") << QByteArray() << QByteArray("/temp") << SQLITE_NULL << 0.0 << false;
    QTest::newRow("nested") << QByteArray(R"({"a": {"b": [1, 2.25, 3]}})") << QByteArray("/a/b/1") << SQLITE_FLOAT
                            << 2.25 << true;
    QTest::newRow("array index out of range") << QByteArray(R"({"a": [1]})") << QByteArray("/a/1") << SQLITE_NULL
                                              << 0.0 << true;
    QTest::newRow("top-level array") << QByteArray("[10, 20]") << QByteArray("/1") << SQLITE_INTEGER << 20.0 << true;
    QTest::newRow("whole document") << QByteArray(" 42 ") << QByteArray("") << SQLITE_INTEGER << 42.0 << false;
    QTest::newRow("~1 is a slash") << QByteArray(R"({"a/b": 3, "a": {"b": 9}})") << QByteArray("/a~1b")
                                   << SQLITE_INTEGER << 3.0 << false;
    QTest::newRow("~0 is a tilde") << QByteArray(R"({"a~b": 4.5})") << QByteArray("/a~0b") << SQLITE_FLOAT << 4.5
                                   << false;
    // JsonPointer cannot match an escaped key on raw bytes; the exact path reads it (its numbers are REAL). SQLite
    // 3.40's json_extract compares keys as written and misses it.
    QTest::newRow("key written with an escape") << QByteArray(R"({"t\u0065mp": 5.5})") << QByteArray("/temp")
                                                << SQLITE_FLOAT << 5.5 << false;
    QTest::newRow("malformed") << QByteArray(R"({"temp": )") << QByteArray("/temp") << SQLITE_NULL << 0.0 << false;
}

void TstSqliteHistoryFunctions::number()
{
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, pointer);
    QFETCH(int, type);
    QFETCH(double, value);
    QFETCH(bool, sameAsSqliteJson);
    Db db;
    QVERIFY(db.installed());
    const Db::Value v = db.query("SELECT iot_number(?1, ?2)", {payload, pointer});
    QVERIFY2(v.ok, qPrintable(db.error()));
    QCOMPARE(v.type, type);
    if (type == SQLITE_INTEGER)
        QCOMPARE(double(v.integer), value);
    else if (type == SQLITE_FLOAT)
        QCOMPARE(v.real, value);
    if (sameAsSqliteJson) {
        const QByteArray path = HistoryQuery::sqlitePath(QString::fromUtf8(pointer));
        const Db::Value j = db.query("SELECT CASE WHEN json_type(?1, ?2) IN ('integer', 'real') "
                                     "THEN json_extract(?1, ?2) END", {payload, path});
        QVERIFY2(j.ok, qPrintable(db.error()));
        QCOMPARE(v.type == SQLITE_NULL, j.type == SQLITE_NULL);
        if (j.type != SQLITE_NULL)
            QCOMPARE(v.real, j.real);
    }
}

void TstSqliteHistoryFunctions::numberPointerMustStartWithSlash()
{
    Db db;
    QVERIFY(db.installed());
    QVERIFY(!db.query("SELECT iot_number('{\"a\": 1}', 'a')").ok);
    QVERIFY(db.error().contains(QLatin1String("starts with '/'")));
}

void TstSqliteHistoryFunctions::time_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("us");
    QTest::newRow("stored form") << QByteArray("2026-01-01T00:00:01.250000Z") << true << T0 + Second + 250000;
    QTest::newRow("no fraction") << QByteArray("2026-01-01T00:00:01Z") << true << T0 + Second;
    QTest::newRow("no Z") << QByteArray("2026-01-01T00:00:01.5") << true << T0 + Second + 500000;
    QTest::newRow("no fraction, no Z") << QByteArray("2026-01-01T00:00:01") << true << T0 + Second;
    QTest::newRow("space, milliseconds") << QByteArray("2026-01-01 00:00:01.123") << true << T0 + Second + 123000;
    QTest::newRow("nanoseconds truncated") << QByteArray("2026-01-01T00:00:01.123456789Z") << true
                                           << T0 + Second + 123456;
    QTest::newRow("leap day") << QByteArray("2024-02-29T23:59:59.999999Z") << true
                              << QDateTime(QDate(2024, 3, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch() * 1000 - 1;
    QTest::newRow("epoch") << QByteArray("1970-01-01T00:00:00Z") << true << qint64(0);
    QTest::newRow("before the epoch") << QByteArray("1969-12-31T23:59:59.999999Z") << true << qint64(-1);
    QTest::newRow("date only") << QByteArray("2026-01-01") << false << qint64(0);
    QTest::newRow("an offset") << QByteArray("2026-01-01T00:00:01+01:00") << false << qint64(0);
    QTest::newRow("month 13") << QByteArray("2026-13-01T00:00:01Z") << false << qint64(0);
    QTest::newRow("empty fraction") << QByteArray("2026-01-01T00:00:01.Z") << false << qint64(0);
    QTest::newRow("trailing text") << QByteArray("2026-01-01T00:00:01Zx") << false << qint64(0);
}

void TstSqliteHistoryFunctions::time()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    QFETCH(qint64, us);
    std::int64_t got = 0;
    QCOMPARE(SqliteHistoryFunctions::parseTimeUs(text.constData(), std::size_t(text.size()), got), ok);
    if (ok)
        QCOMPARE(qint64(got), us);
}

void TstSqliteHistoryFunctions::buckets()
{
    Db db;
    QVERIFY(db.installed());
    QVERIFY(db.exec("CREATE TABLE r (topic TEXT, at, v)"));
    // Buckets of 10 s over [T0, T0 + 30 s).
    const qint64 from = T0, to = T0 + 30 * Second, width = 10 * Second;
    struct Row
    {
        const char *topic;
        QByteArray at;  // text, or µs as an INTEGER when it has no '-'
        QByteArray v;   // SQL literal
    };
    const QList<Row> rows = {
        {"b", iso(T0), "1"},                                  // bucket 0 of b, first instant
        {"a", iso(T0 + 9 * Second + 999999), "2.5"},          // bucket 0 of a, last µs
        {"a", iso(T0 + 10 * Second), "1"},                    // exactly on the edge: bucket 1
        {"a", QByteArray::number(T0 + 11 * Second), "4"},     // µs as INTEGER: bucket 1
        {"a", iso(T0 + 12 * Second), "'x'"},                  // not a number: skipped
        {"a", iso(T0 + 13 * Second), "NULL"},                 // skipped
        {"a", "2026-01-01T00:00:25Z", "-3"},                  // no fraction: bucket 2
        {"a", iso(to - 1), "7.25"},                           // the range's last µs: bucket 2
        {"a", iso(to), "100"},                                // the range's end is exclusive
        {"a", iso(from - 1), "100"},                          // before the range
    };
    for (const Row &r : rows) {
        const QByteArray at = r.at.contains('-') ? "'" + r.at + "'" : r.at;
        QVERIFY(db.exec("INSERT INTO r VALUES ('" + QByteArray(r.topic) + "', " + at + ", " + r.v + ")"));
    }
    const Db::Value v = db.query("SELECT iot_buckets(topic, at, v, ?1, ?2, ?3) FROM r",
                                 {QByteArray::number(from), QByteArray::number(to), QByteArray::number(width)});
    QVERIFY2(v.ok, qPrintable(db.error()));
    QCOMPARE(v.type, SQLITE_BLOB);
    QList<HistorySeries> series;
    QVERIFY(SqliteHistoryFunctions::decode(v.bytes, from, width, series));
    QCOMPARE(series.size(), 2);
    QCOMPARE(series[0].topic, QStringLiteral("a"));
    QCOMPARE(series[1].topic, QStringLiteral("b"));
    const QList<HistoryBucket> &a = series[0].buckets;
    QCOMPARE(a.size(), 3);
    QCOMPARE(a[0].startUs, T0);
    QCOMPARE(a[0].count, 1);
    QCOMPARE(a[0].min, 2.5);
    QCOMPARE(a[1].startUs, T0 + 10 * Second);
    QCOMPARE(a[1].count, 2);
    QCOMPARE(a[1].min, 1.0);
    QCOMPARE(a[1].mean, 2.5);
    QCOMPARE(a[1].max, 4.0);
    QCOMPARE(a[2].startUs, T0 + 20 * Second);
    QCOMPARE(a[2].count, 2);
    QCOMPARE(a[2].min, -3.0);
    QCOMPARE(a[2].mean, 2.125);
    QCOMPARE(a[2].max, 7.25);
    QCOMPARE(series[1].buckets.size(), 1);
    QCOMPARE(series[1].buckets[0].count, 1);
    QCOMPARE(series[1].buckets[0].mean, 1.0);
}

void TstSqliteHistoryFunctions::bucketsOutOfOrderAndEmpty()
{
    Db db;
    QVERIFY(db.installed());
    QVERIFY(db.exec("CREATE TABLE r (topic TEXT, at TEXT, v)"));
    for (int i = 0; i < 100; ++i)
        QVERIFY(db.exec("INSERT INTO r VALUES ('t', '" + iso(T0 + i * Second) + "', " + QByteArray::number(i) + ")"));
    const QList<QByteArray> params{QByteArray::number(T0), QByteArray::number(T0 + 100 * Second),
                                   QByteArray::number(10 * Second)};
    // Newest first: every bucket is met after a later one, and the result is the same as in time order.
    for (const char *order : {"ORDER BY at DESC", "ORDER BY (rowid * 37) % 100", "ORDER BY at"}) {
        const QByteArray sql = "SELECT iot_buckets(topic, at, v, ?1, ?2, ?3) FROM (SELECT * FROM r " + QByteArray(order)
                               + ")";
        const Db::Value v = db.query(sql.constData(), params);
        QVERIFY2(v.ok, qPrintable(db.error()));
        QList<HistorySeries> series;
        QVERIFY(SqliteHistoryFunctions::decode(v.bytes, T0, 10 * Second, series));
        QCOMPARE(series.size(), 1);
        QCOMPARE(series[0].buckets.size(), 10);
        for (int k = 0; k < 10; ++k) {
            QCOMPARE(series[0].buckets[k].startUs, T0 + k * 10 * Second);
            QCOMPARE(series[0].buckets[k].min, 10.0 * k);
            QCOMPARE(series[0].buckets[k].max, 10.0 * k + 9);
            QCOMPARE(series[0].buckets[k].mean, 10.0 * k + 4.5);
            QCOMPARE(series[0].buckets[k].count, 10);
        }
    }
    // No row in the range: one empty BLOB, no series.
    const Db::Value none = db.query("SELECT iot_buckets(topic, at, v, ?1, ?2, ?3) FROM r WHERE 0", params);
    QVERIFY(none.ok);
    QList<HistorySeries> series{HistorySeries{}};
    QVERIFY(SqliteHistoryFunctions::decode(none.bytes, T0, 10 * Second, series));
    QVERIFY(series.isEmpty());
    // A truncated BLOB is refused.
    const Db::Value all = db.query("SELECT iot_buckets(topic, at, v, ?1, ?2, ?3) FROM r", params);
    QVERIFY(!SqliteHistoryFunctions::decode(all.bytes.chopped(1), T0, 10 * Second, series));
}

void TstSqliteHistoryFunctions::bucketsBadTime()
{
    Db db;
    QVERIFY(db.installed());
    QVERIFY(db.exec("CREATE TABLE r (topic TEXT, at, v)"));
    QVERIFY(db.exec("INSERT INTO r VALUES ('t', 'yesterday', 1)"));
    QVERIFY(!db.query("SELECT iot_buckets(topic, at, v, 0, 100, 10) FROM r").ok);
    QVERIFY2(db.error().contains(QLatin1String("'yesterday' is not ISO-8601")), qPrintable(db.error()));
}

QTEST_APPLESS_MAIN(TstSqliteHistoryFunctions)
#include "tst_sqlitehistoryfunctions.moc"
