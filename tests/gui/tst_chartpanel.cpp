// SPDX-License-Identifier: MIT
// ChartPanel across a silence (a remote instance that did not answer for 30 s, or an engine that was off): the lines
// break there — no piece of any line spans it — and a "no data" band covers exactly the silence; without a silence,
// one piece per line and no band. IOT_CHART_GAP_SCREENSHOT=/tmp/gap.png saves the picture.
#include "chartpanel.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QTest>

using namespace iot;

class TstChartPanel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void steadyStreamIsOneLine();
    void silenceBreaksTheLines();
};

namespace {

constexpr qint64 T0 = 1'796'000'000'000'000;   // some day in 2026, µs

EngineSnapshot snapshot(qint64 tUs, double rate, quint64 inFlight)
{
    EngineSnapshot s;
    s.takenAtUs = tUs;
    s.receivedPerSec = rate;
    s.writtenPerSec = rate * 0.98;
    s.inFlight = inFlight;
    s.queued = inFlight / 2;
    s.maxBuffered = 100000;
    return s;
}

// The largest step between neighbouring points of a series, in ms.
double widestStep(const QLineSeries *series)
{
    double widest = 0;
    const QList<QPointF> p = series->points();
    for (int i = 1; i < p.size(); ++i)
        widest = std::max(widest, p[i].x() - p[i - 1].x());
    return widest;
}

} // namespace

void TstChartPanel::steadyStreamIsOneLine()
{
    ChartPanel charts;
    for (int i = 0; i < 100; ++i)   // 20 s at 5 Hz
        charts.addSample(snapshot(T0 + i * 200'000LL, 1000 + i, quint64(i)));
    QVERIFY(charts.gapsShown().empty());
    QCOMPARE(charts.segments(charts.receivedSeries()).size(), 1);
    QCOMPARE(charts.receivedSeries()->count(), 100);
    QCOMPARE(charts.throughputGapBand()->upperSeries()->count(), 0);
}

void TstChartPanel::silenceBreaksTheLines()
{
    ChartPanel charts;
    charts.resize(900, 520);
    charts.show();
    QVERIFY(QTest::qWaitForWindowExposed(&charts));
    // 20 s of data, 30 s of silence (a remote that did not answer), 20 s more at another rate.
    for (int i = 0; i < 100; ++i)
        charts.addSample(snapshot(T0 + i * 500'000LL / 2, 1200 + 50 * (i % 7), quint64(200 + 10 * (i % 5))));
    const qint64 lastBefore = T0 + 99 * 250'000LL;
    const qint64 firstAfter = lastBefore + 30'000'000;
    for (int i = 0; i < 80; ++i)
        charts.addSample(snapshot(firstAfter + i * 250'000LL, 800 + 40 * (i % 5), quint64(100 + 5 * (i % 3))));
    // The legend lays its markers out in the event loop after a change.
    const auto markerShown = [](const QLineSeries *line) {
        const QList<QLegendMarker *> m = line->chart()->legend()->markers(const_cast<QLineSeries *>(line));
        return !m.isEmpty() && m.constFirst()->isVisible();
    };
    QTRY_VERIFY(markerShown(charts.receivedSeries()));
    const QPixmap picture = charts.grab();
    const QString shot = qEnvironmentVariable("IOT_CHART_GAP_SCREENSHOT");
    if (!shot.isEmpty())
        QVERIFY(picture.save(shot));
    QCOMPARE(charts.gapsShown().size(), std::size_t(1));
    QCOMPARE(charts.gapsShown().front(), std::make_pair(lastBefore, firstAfter));
    for (const QLineSeries *line :
         {charts.receivedSeries(), charts.writtenSeries(), charts.inFlightSeries(), charts.queuedSeries()}) {
        const QList<const QLineSeries *> pieces = charts.segments(line);
        QCOMPARE(pieces.size(), 2);
        QCOMPARE(pieces.last(), line);   // the newest piece carries the legend entry
        QCOMPARE(pieces.first()->count(), 100);
        QCOMPARE(pieces.last()->count(), 80);
        QCOMPARE(pieces.first()->points().last().x(), double(lastBefore / 1000));
        QCOMPARE(pieces.last()->points().first().x(), double(firstAfter / 1000));
        for (const QLineSeries *piece : pieces) {
            QVERIFY2(widestStep(piece) < 1000, qPrintable(QString::number(widestStep(piece))));   // nothing bridged
            QCOMPARE(piece->pen(), line->pen());   // drawn as one line
        }
        // One legend entry per line, however many pieces.
        QLegend *legend = line->chart()->legend();
        QCOMPARE(legend->markers(const_cast<QLineSeries *>(pieces.first())).constFirst()->isVisible(), false);
        QCOMPARE(legend->markers(const_cast<QLineSeries *>(line)).constFirst()->isVisible(), true);
    }
    // The band: one rectangle over the silence, as high as the axis, with its legend entry.
    const QAreaSeries *band = charts.throughputGapBand();
    const QList<QPointF> outline = band->upperSeries()->points();
    QCOMPARE(outline.size(), 4);
    QCOMPARE(outline[0].x(), double(lastBefore / 1000));
    QCOMPARE(outline[2].x(), double(firstAfter / 1000));
    QVERIFY(outline[1].y() >= 1500);   // the axis' top, above every rate shown
    QCOMPARE(band->chart()->legend()->markers(const_cast<QAreaSeries *>(band)).constFirst()->isVisible(), true);

    // Once the silence has scrolled out of the window, the band and the older pieces go.
    charts.setWindowMinutes(1);
    for (int i = 80; i < 80 + 4 * 60; ++i)
        charts.addSample(snapshot(firstAfter + i * 250'000LL, 900, 100));
    QVERIFY(charts.gapsShown().empty());
    QCOMPARE(charts.segments(charts.receivedSeries()).size(), 1);
    QCOMPARE(charts.throughputGapBand()->upperSeries()->count(), 0);
    QTRY_VERIFY(markerShown(charts.receivedSeries()));
    QCOMPARE(band->chart()->legend()->markers(const_cast<QAreaSeries *>(band)).constFirst()->isVisible(), false);
}

QTEST_MAIN(TstChartPanel)
#include "tst_chartpanel.moc"
