// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "samplehistory.h"

#include <QList>
#include <QWidget>

#include <utility>
#include <vector>

class QAction;
class QAreaSeries;
class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace iot {

/// The live charts: messages/s received and rows/s written on one, buffer depth on the other, over a 1/5/15/60
/// minute window, with freeze and hover values. Fed one sample per engine snapshot; redraws at most at that rate,
/// decimating long windows. A silence (no sample for GapAfterUs: a remote that did not answer, an engine that was
/// off) breaks the lines and is covered by a grey "no data" band, never bridged by a straight line. Lives on the GUI
/// thread.
class ChartPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartPanel)
public:
    explicit ChartPanel(QWidget *parent = nullptr);

    void addSample(const EngineSnapshot &s);
    void setWindowMinutes(int minutes);
    int windowMinutes() const { return m_windowMinutes; }
    /// Frozen: samples are still recorded, the picture stays (to read a spike).
    QAction *freezeAction() const { return m_freeze; }
    void setBufferLimit(quint64 limit);

    // For tests and the screenshot: the series as drawn.
    const QLineSeries *receivedSeries() const { return m_received; }
    const QLineSeries *writtenSeries() const { return m_written; }
    const QLineSeries *inFlightSeries() const { return m_inFlight; }
    const QLineSeries *queuedSeries() const { return m_queued; }
    const SampleHistory &history() const { return m_history; }
    /// Every piece `line` (one of the four above) is drawn in, oldest first; the last is `line` itself (the
    /// newest piece, the one with the legend entry). One piece when there was no silence.
    QList<const QLineSeries *> segments(const QLineSeries *line) const;
    /// The silences shown now (µs: the last sample before, the first after), oldest first.
    const std::vector<std::pair<qint64, qint64>> &gapsShown() const { return m_gaps; }
    const QAreaSeries *throughputGapBand() const { return m_throughput.gapBand; }

    static constexpr int MaxPointsPerSeries = 600;
    /// Snapshots come every 200 ms (local engine) or with each 500 ms status poll (a remote): samples further apart
    /// than this are a silence.
    static constexpr qint64 GapAfterUs = 3'000'000;
    static constexpr int MaxGapsShown = 20;   // the newest ones; older silences in the window are bridged

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Chart
    {
        QChart *chart = nullptr;
        QChartView *view = nullptr;
        QDateTimeAxis *x = nullptr;
        QValueAxis *y = nullptr;
        QLineSeries *gapUpper = nullptr;   // the band's outline: a rectangle per silence
        QAreaSeries *gapBand = nullptr;
    };
    struct Line
    {
        QLineSeries *main = nullptr;          // the newest piece; it carries the legend entry
        std::vector<QLineSeries *> older;     // earlier pieces, oldest first (no legend entry)
        Chart *chart = nullptr;
        SampleHistory::Field field = nullptr;
        QString name, unit;
    };
    Chart makeChart(const QString &title, const QString &yTitle);
    QLineSeries *addSeries(Chart &c, const QString &name, const QString &unit, SampleHistory::Field field);
    void addGapBand(Chart &c);
    QLineSeries *newSeries(Chart &c, const QString &name, const QString &unit);
    void fillLine(Line &line, qint64 fromUs, qint64 toUs);
    void fillGapBand(Chart &c);
    void redraw();
    void applyPalette();

    SampleHistory m_history;
    Chart m_throughput;
    Chart m_buffer;
    QLineSeries *m_received = nullptr;
    QLineSeries *m_written = nullptr;
    QLineSeries *m_inFlight = nullptr;
    QLineSeries *m_queued = nullptr;
    std::vector<Line> m_lines;
    std::vector<std::pair<qint64, qint64>> m_gaps;
    QComboBox *m_window = nullptr;
    QAction *m_freeze = nullptr;
    QLabel *m_hint = nullptr;
    quint64 m_bufferLimit = 0;
    int m_windowMinutes = 5;
};

} // namespace iot
