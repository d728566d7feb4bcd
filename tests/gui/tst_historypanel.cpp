// SPDX-License-Identifier: MIT
// The History tab offscreen against a real SQLite file holding a week of two sensors (a reading every 15 s): the
// plot has a min–max band and a mean line per topic with the database's buckets, one legend entry per topic; a zoom
// re-queries a narrower range at finer buckets; the crosshair names the time and values; a bad field is reported.
// With IOT_HISTORY_SCREENSHOT=FILE.png it saves the zoomed tab (the README's picture).
#include "historychartview.h"
#include "historypanel.h"

#include <QAreaSeries>
#include <QChart>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace iot;

namespace {

constexpr qint64 T0Ms = qint64(1767225600) * 1000;  // 2026-01-01T00:00:00Z
constexpr qint64 WeekMs = qint64(7) * 24 * 3600 * 1000;
constexpr int StepS = 15;                           // a reading every 15 s
constexpr int Readings = 7 * 24 * 3600 / StepS;

QString iso(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz"))
        + QStringLiteral("000Z");
}

// A freezer that warms up and recovers each day, and a room following the day.
// `i` counts readings; `m` is its minute of the week.
double freezer(int i, int m)
{
    const bool warmSpell = m / 1440 == 4 && m % 1440 > 600 && m % 1440 < 700;
    return -18.0 + 2.5 * std::sin(m * 2 * M_PI / 1440.0) + ((i * 37) % 11) * 0.08 + (warmSpell ? 9.0 : 0.0);
}
double room(int i, int m)
{
    return 21.0 + 1.5 * std::sin((m - 360) * 2 * M_PI / 1440.0) + ((i * 53) % 7) * 0.1;
}

} // namespace

class TstHistoryPanel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void plotsZoomsAndCrosshair();
    void badField();
    void exportShownAndRaw();
    void liveTail();

private:
    QTemporaryDir m_dir;
    Config m_config;
};

void TstHistoryPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_config.database.driver = DbDriver::Sqlite;
    m_config.database.path = m_dir.filePath(QStringLiteral("week.sqlite"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("fill"));
        db.setDatabaseName(m_config.database.path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(QStringLiteral("CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, "
                                       "payload TEXT NOT NULL)")),
                 qPrintable(q.lastError().text()));
        QVERIFY(db.transaction());
        QVERIFY(q.prepare(QStringLiteral("INSERT INTO readings VALUES (?, ?, ?)")));
        for (int i = 0; i < Readings; ++i) {
            const int m = i * StepS / 60;  // the minute, for the curves
            for (const auto &[topic, v] : {std::pair{QStringLiteral("lab/freezer/temp"), freezer(i, m)},
                                           std::pair{QStringLiteral("lab/room/temp"), room(i, m)}}) {
                q.addBindValue(iso(T0Ms + i * StepS * 1000LL + 1000));
                q.addBindValue(topic);
                q.addBindValue(QStringLiteral("{\"temp\":%1,\"unit\":\"C\"}").arg(v, 0, 'f', 2));
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
        }
        QVERIFY(db.commit());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("fill"));
}

void TstHistoryPanel::plotsZoomsAndCrosshair()
{
    HistoryPanel panel;
    panel.resize(1200, 640);
    panel.setConfig(m_config);
    panel.setTopics(QStringLiteral("lab/+/temp"));
    panel.setField(QStringLiteral("/temp"));
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy plotted(&panel, &HistoryPanel::plotted);

    panel.plotRange(T0Ms, T0Ms + WeekMs, false);
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 1, 20000);
    const HistoryResult week = panel.result();
    QVERIFY2(week.ending == HistoryResult::Ending::Done, qPrintable(week.message));
    QCOMPARE(week.series.size(), 2);
    QCOMPARE(week.series[0].topic, QStringLiteral("lab/freezer/temp"));
    // A week at 2,000 buckets: 302.4 s each, every reading counted once.
    QCOMPARE(week.bucketUs, WeekMs * 1000 / 2000);
    qint64 counted = 0;
    for (const HistoryBucket &b : week.series[0].buckets)
        counted += b.count;
    QCOMPARE(counted, qint64(Readings));
    QVERIFY(week.series[0].buckets.size() <= 2000);

    // Per topic a band (QAreaSeries of max over min) and a mean line, drawn from exactly those buckets.
    const QList<QAbstractSeries *> series = panel.chart()->series();
    QCOMPARE(series.size(), 4);
    auto *band = qobject_cast<QAreaSeries *>(series[0]);
    auto *mean = qobject_cast<QLineSeries *>(series[1]);
    QVERIFY(band && mean);
    QCOMPARE(mean->count(), int(week.series[0].buckets.size()));
    QCOMPARE(mean->at(0).y(), week.series[0].buckets[0].mean);
    QCOMPARE(band->upperSeries()->at(0).y(), week.series[0].buckets[0].max);
    QCOMPARE(band->lowerSeries()->at(0).y(), week.series[0].buckets[0].min);
    QVERIFY(mean->pen().color() != qobject_cast<QLineSeries *>(series[3])->pen().color());
    // One legend entry per topic (the bands' markers hidden), once the legend has been laid out.
    const auto visibleMarkers = [&] {
        QStringList names;
        for (QLegendMarker *m : panel.chart()->legend()->markers())
            if (m->isVisible())
                names << m->label();
        return names;
    };
    QTRY_COMPARE(visibleMarkers(), (QStringList{QStringLiteral("lab/freezer/temp"), QStringLiteral("lab/room/temp")}));

    // Zoom into day 5 (as a rubber band does): the tab re-queries that range at its own, finer buckets.
    const QRectF area = panel.chart()->plotArea();
    panel.chart()->zoomIn(QRectF(area.left() + area.width() * 4 / 7, area.top(), area.width() / 7, area.height()));
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 2, 20000);
    const HistoryResult day = panel.result();
    QVERIFY2(day.ending == HistoryResult::Ending::Done, qPrintable(day.message));
    // Drawing it moves no axis by itself: no further query follows (the re-query waits 300 ms for a gesture).
    QTest::qWait(800);
    QCOMPARE(plotted.size(), 2);
    QVERIFY2(day.bucketUs < week.bucketUs / 5, qPrintable(QString::number(day.bucketUs)));
    QVERIFY(day.fromUs > week.fromUs + 3 * WeekMs * 1000 / 7);
    QVERIFY(day.toUs < week.toUs - WeekMs * 1000 / 7);
    // The freezer's warm spell of day 5 (+9 °C) is in the zoomed maximum.
    double hottest = -100;
    for (const HistoryBucket &b : day.series[0].buckets)
        hottest = std::max(hottest, b.max);
    QVERIFY2(hottest > -10, qPrintable(QString::number(hottest)));

    // The crosshair in the middle of the plot: the time and both topics' values.
    const QPointF middle = panel.view()->mapFromScene(panel.chart()->mapToScene(area.center()));
    panel.view()->moveCrosshair(middle);
    const QString text = panel.view()->crosshairText();
    QVERIFY2(text.contains(QStringLiteral("lab/freezer/temp")) && text.contains(QStringLiteral("lab/room/temp"))
                 && text.contains(QStringLiteral("2026-01-0")),
             qPrintable(text));

    if (const QByteArray shot = qgetenv("IOT_HISTORY_SCREENSHOT"); !shot.isEmpty()) {
        QTest::qWait(300);  // the legend's layout
        QVERIFY(panel.grab().save(QString::fromLocal8Bit(shot)));
    }
}

void TstHistoryPanel::badField()
{
    HistoryPanel panel;
    panel.setConfig(m_config);
    panel.setField(QStringLiteral("temp"));  // not a pointer
    QSignalSpy plotted(&panel, &HistoryPanel::plotted);
    panel.plotRange(T0Ms, T0Ms + WeekMs, false);
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 1, 20000);
    QCOMPARE(plotted.at(0).at(0).value<HistoryResult>().ending, HistoryResult::Ending::BadRequest);
    QVERIFY(panel.chart()->series().isEmpty());
    QVERIFY2(panel.statusText().contains(QStringLiteral("JSON pointer")), qPrintable(panel.statusText()));
}

void TstHistoryPanel::exportShownAndRaw()
{
    HistoryPanel panel;
    panel.setConfig(m_config);
    panel.setTopics(QStringLiteral("lab/+/temp"));
    panel.setField(QStringLiteral("/temp"));
    QSignalSpy plotted(&panel, &HistoryPanel::plotted);
    // Day 2, 06:00 to 12:00: 1,440 readings per topic, 2,000 buckets of 10.8 s.
    const qint64 from = T0Ms + 24 * 3600 * 1000 + 6 * 3600 * 1000, to = from + 6 * 3600 * 1000;
    panel.plotRange(from, to, false);
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 1, 20000);
    const HistoryResult &shown = panel.result();
    QCOMPARE(shown.series.size(), 2);

    // What is shown: a header and one record per bucket, values as plotted.
    const QString bucketsPath = m_dir.filePath(QStringLiteral("buckets.csv"));
    QVERIFY(panel.exportShown(bucketsPath));
    QFile buckets(bucketsPath);
    QVERIFY(buckets.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = buckets.readAll().split('\n');
    QCOMPARE(lines.first(), QByteArray("bucket_start,bucket_end,topic,min,mean,max,count\r"));
    QCOMPARE(lines.size() - 2, int(shown.series[0].buckets.size() + shown.series[1].buckets.size()));
    const QList<QByteArray> first = lines[1].trimmed().split(',');
    QCOMPARE(first[2], QByteArray("lab/freezer/temp"));
    QCOMPARE(first[4].toDouble(), shown.series[0].buckets[0].mean);

    // The raw rows behind it, streamed by the export on a worker: 6 h × 240 × 2 topics with the pointer's value.
    const QString rawPath = m_dir.filePath(QStringLiteral("raw.csv"));
    QSignalSpy exported(&panel, &HistoryPanel::exported);
    panel.exportRaw(rawPath);
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 1, 30000);
    QVERIFY2(exported.at(0).at(0).toBool(), qPrintable(exported.at(0).at(2).toString()));
    QCOMPARE(exported.at(0).at(1).toLongLong(), 2880);
    QFile raw(rawPath);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QList<QByteArray> rows = raw.readAll().split('\n');
    QCOMPARE(rows.first(), QByteArray("received_at,topic,value\r"));
    QCOMPARE(rows.size() - 2, 2880);

    // A stopped export (the whole week, stopped before its first row is read) leaves no file behind.
    panel.plotRange(T0Ms, T0Ms + WeekMs, false);
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 2, 20000);
    const QString stoppedPath = m_dir.filePath(QStringLiteral("stopped.csv"));
    panel.exportRaw(stoppedPath);
    panel.cancelExport();
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 2, 30000);
    QCOMPARE(exported.at(1).at(0).toBool(), false);
    QVERIFY(exported.at(1).at(1).toLongLong() < 2 * Readings);
    QVERIFY(!QFile::exists(stoppedPath));
    QCOMPARE(panel.statusText(), QStringLiteral("export stopped"));
}

void TstHistoryPanel::liveTail()
{
    // Readings of the last half hour on their own topic, then "last hour" plotted.
    const auto insert = [this](qint64 atMs, double v) {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("live"));
        db.setDatabaseName(m_config.database.path);
        bool ok = db.open();
        QSqlQuery q(db);
        ok = ok && q.prepare(QStringLiteral("INSERT INTO readings VALUES (?, 'live/x', ?)"));
        q.addBindValue(iso(atMs));
        q.addBindValue(QStringLiteral("{\"temp\":%1}").arg(v));
        ok = ok && q.exec();
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("live"));
        return ok;
    };
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 30; i >= 1; --i)
        QVERIFY(insert(now - i * 60000LL, 20 + i));
    HistoryPanel panel;
    panel.setConfig(m_config);
    panel.setTopics(QStringLiteral("live/x"));
    panel.setField(QStringLiteral("/temp"));
    QSignalSpy plotted(&panel, &HistoryPanel::plotted);
    panel.plot();  // the preset: last hour, ending now
    QTRY_COMPARE_WITH_TIMEOUT(plotted.size(), 1, 20000);
    const auto count = [&panel] {
        qint64 n = 0;
        for (const HistorySeries &s : panel.result().series)
            for (const HistoryBucket &b : s.buckets)
                n += b.count;
        return n;
    };
    QCOMPARE(count(), 30);
    // A reading stored after the plot: the range ends now, so the curve continues with it (re-queried every 5 s).
    QVERIFY(insert(QDateTime::currentMSecsSinceEpoch(), 99));
    QTRY_COMPARE_WITH_TIMEOUT(count(), 31, 20000);
    QCOMPARE(panel.result().series.value(0).buckets.last().max, 99.0);
}

QTEST_MAIN(TstHistoryPanel)
#include "tst_historypanel.moc"
