// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "samplehistory.h"

#include <QWidget>

class QAction;
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
/// decimating long windows. Lives on the GUI thread.
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

    static constexpr int MaxPointsPerSeries = 600;

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Chart
    {
        QChart *chart = nullptr;
        QChartView *view = nullptr;
        QDateTimeAxis *x = nullptr;
        QValueAxis *y = nullptr;
    };
    Chart makeChart(const QString &title, const QString &yTitle);
    QLineSeries *addSeries(Chart &c, const QString &name, const QString &unit);
    void redraw();
    void applyPalette();

    SampleHistory m_history;
    Chart m_throughput;
    Chart m_buffer;
    QLineSeries *m_received = nullptr;
    QLineSeries *m_written = nullptr;
    QLineSeries *m_inFlight = nullptr;
    QLineSeries *m_queued = nullptr;
    QComboBox *m_window = nullptr;
    QAction *m_freeze = nullptr;
    QLabel *m_hint = nullptr;
    quint64 m_bufferLimit = 0;
    int m_windowMinutes = 5;
};

} // namespace iot
