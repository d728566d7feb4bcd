// SPDX-License-Identifier: MIT
#include "util/timeformat.h"

#include <QDate>
#include <QDateTime>
#include <QRandomGenerator>
#include <QTest>
#include <QTime>

#include <cstring>

using namespace iot;

namespace {

constexpr std::int64_t UsPerMs = 1000;

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

QByteArray format(std::int64_t epochUs)
{
    // One byte past the output is a canary: isoUtc must write exactly IsoLength characters.
    char buf[TimeFormat::IsoLength + 1];
    std::memset(buf, '#', sizeof buf);
    TimeFormat::isoUtc(epochUs, buf);
    if (buf[TimeFormat::IsoLength] != '#')
        return QByteArrayLiteral("<wrote past IsoLength>");
    return QByteArray(buf, TimeFormat::IsoLength);
}

// The reference: Qt's calendar code, which is independent of the implementation under test.
QByteArray viaQDateTime(std::int64_t epochUs)
{
    const std::int64_t ms = floorDiv(epochUs, UsPerMs);
    const auto subMs = static_cast<int>(epochUs - ms * UsPerMs);
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toUTC();
    return t.toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz")).toLatin1()
        + QByteArray::number(subMs).rightJustified(3, '0') + 'Z';
}

} // namespace

/// TimeFormat's ISO-8601 formatting of receive times against QDateTime, and the PostgreSQL epoch constant.
/// Pure functions; runs on the test's main thread.
class TstTimeFormat final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isoUtc_data();
    void isoUtc();
    void randomInstantsMatchQDateTime();
    void pgEpochOffset();
    void nowUs();
};

void TstTimeFormat::isoUtc_data()
{
    QTest::addColumn<qint64>("epochUs");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("epoch 0") << qint64(0) << QByteArray("1970-01-01T00:00:00.000000Z");
    QTest::newRow("1 µs") << qint64(1) << QByteArray("1970-01-01T00:00:00.000001Z");
    QTest::newRow("999999 µs") << qint64(999999) << QByteArray("1970-01-01T00:00:00.999999Z");
    QTest::newRow("one day") << qint64(86400000000) << QByteArray("1970-01-02T00:00:00.000000Z");
    QTest::newRow("2000-01-01") << qint64(946684800000000) << QByteArray("2000-01-01T00:00:00.000000Z");
    QTest::newRow("2000-02-29 (leap, divisible by 400)")
        << qint64(951804000500000) << QByteArray("2000-02-29T06:00:00.500000Z");
    QTest::newRow("leap day 2024-02-29") << qint64(1709210096789012) << QByteArray("2024-02-29T12:34:56.789012Z");
    QTest::newRow("day after leap day") << qint64(1709210096789012 + 86400000000)
                                        << QByteArray("2024-03-01T12:34:56.789012Z");
    QTest::newRow("header example") << qint64(1795746065123456) << QByteArray("2026-11-27T02:21:05.123456Z");
    QTest::newRow("end of 2023") << qint64(1704067199999999) << QByteArray("2023-12-31T23:59:59.999999Z");
    QTest::newRow("start of 2024") << qint64(1704067200000000) << QByteArray("2024-01-01T00:00:00.000000Z");
    QTest::newRow("2100-02-28 last µs") << qint64(4107542399999999) << QByteArray("2100-02-28T23:59:59.999999Z");
    QTest::newRow("2100 is not a leap year") << qint64(4107542400000000) << QByteArray("2100-03-01T00:00:00.000000Z");
    QTest::newRow("9999-12-31 last µs") << qint64(253402300799999999) << QByteArray("9999-12-31T23:59:59.999999Z");
    QTest::newRow("-1 µs") << qint64(-1) << QByteArray("1969-12-31T23:59:59.999999Z");
    QTest::newRow("-999999 µs") << qint64(-999999) << QByteArray("1969-12-31T23:59:59.000001Z");
    QTest::newRow("-1 s") << qint64(-1000000) << QByteArray("1969-12-31T23:59:59.000000Z");
    QTest::newRow("-1 s -1 µs") << qint64(-1000001) << QByteArray("1969-12-31T23:59:58.999999Z");
    QTest::newRow("-1 day") << qint64(-86400000000) << QByteArray("1969-12-31T00:00:00.000000Z");
    QTest::newRow("moon landing") << qint64(-14182939999999) << QByteArray("1969-07-20T20:17:40.000001Z");
    QTest::newRow("1900-01-01") << qint64(-2208988800000000) << QByteArray("1900-01-01T00:00:00.000000Z");
    QTest::newRow("1600-02-29") << qint64(-11670994676999996) << QByteArray("1600-02-29T01:02:03.000004Z");
    QTest::newRow("0001-01-01") << qint64(-62135596800000000) << QByteArray("0001-01-01T00:00:00.000000Z");
}

void TstTimeFormat::isoUtc()
{
    QFETCH(qint64, epochUs);
    QFETCH(QByteArray, expected);
    QCOMPARE(format(epochUs), expected);
    QCOMPARE(format(epochUs), viaQDateTime(epochUs));
}

void TstTimeFormat::randomInstantsMatchQDateTime()
{
    QRandomGenerator rng(20261127);
    const qint64 lo = -62135596800000000;   // 0001-01-01
    const qint64 hi = 253402300799999999;   // 9999-12-31T23:59:59.999999
    const qint64 recent = 4102444800000000; // 2100-01-01
    for (int i = 0; i < 20000; ++i) {
        // Half over the whole four-digit range, half in 1970..2100 where real receive times lie.
        const std::int64_t us = i % 2 == 0 ? rng.bounded(lo, hi) : rng.bounded(qint64(0), recent);
        const QByteArray got = format(us);
        const QByteArray want = viaQDateTime(us);
        if (got != want)
            QFAIL(qPrintable(QStringLiteral("%1 µs: got %2, QDateTime says %3")
                                 .arg(us).arg(QString::fromLatin1(got), QString::fromLatin1(want))));
    }
}

void TstTimeFormat::pgEpochOffset()
{
    const QDateTime pgEpoch(QDate(2000, 1, 1), QTime(0, 0), Qt::UTC);
    QCOMPARE(TimeFormat::PgEpochOffsetUs, pgEpoch.toMSecsSinceEpoch() * UsPerMs);
    QCOMPARE(format(TimeFormat::PgEpochOffsetUs), QByteArray("2000-01-01T00:00:00.000000Z"));
}

void TstTimeFormat::nowUs()
{
    const qint64 beforeMs = QDateTime::currentMSecsSinceEpoch();
    const std::int64_t now = TimeFormat::nowUs();
    const qint64 afterMs = QDateTime::currentMSecsSinceEpoch();
    QVERIFY2(now >= beforeMs * UsPerMs, qPrintable(QString::number(now)));
    QVERIFY2(now < (afterMs + 1) * UsPerMs, qPrintable(QString::number(now)));
}

QTEST_APPLESS_MAIN(TstTimeFormat)
#include "tst_timeformat.moc"
