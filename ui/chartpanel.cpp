// SPDX-License-Identifier: MIT
#include "chartpanel.h"

#include "plaintext.h"

#include "icons.h"
#include "statustext.h"

#include <QAction>
#include <QAreaSeries>
#include <QLegendMarker>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace iot {
namespace {

// A "nice" axis maximum (1, 2 or 5 × 10^n) at or above `v`, so tick labels stay round.
double niceCeiling(double v)
{
    if (v <= 1)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
    for (const double step : {1.0, 2.0, 5.0, 10.0})
        if (step * magnitude >= v)
            return step * magnitude;
    return 10 * magnitude;
}

} // namespace

ChartPanel::ChartPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *controls = new QHBoxLayout;
    auto *windowLabel = new QLabel(tr("&Window:"), this);
    m_window = new QComboBox(this);
    m_window->setObjectName(QStringLiteral("chartWindow"));
    for (const int minutes : {1, 5, 15, 60})
        m_window->addItem(minutes == 1 ? tr("last minute") : tr("last %1 minutes").arg(minutes), minutes);
    m_window->setCurrentIndex(1);
    windowLabel->setBuddy(m_window);
    m_freeze = new QAction(Icons::freezeCharts(), tr("&Freeze charts"), this);
    m_freeze->setCheckable(true);
    m_freeze->setToolTip(tr("Freeze the charts to read them; data keeps being recorded (F9)"));
    m_freeze->setShortcut(QKeySequence(Qt::Key_F9));
    auto *freezeButton = new QToolButton(this);
    freezeButton->setDefaultAction(m_freeze);
    freezeButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("chartHint"));
    controls->addWidget(windowLabel);
    controls->addWidget(m_window);
    controls->addWidget(freezeButton);
    controls->addStretch(1);
    controls->addWidget(m_hint);
    layout->addLayout(controls);

    m_throughput = makeChart(tr("Throughput"), tr("per second"));
    m_buffer = makeChart(tr("Buffer depth"), tr("messages"));
    m_lines.reserve(4);
    m_received = addSeries(m_throughput, tr("received msgs/s"), tr("msgs/s"), &ChartSample::receivedPerSec);
    m_written = addSeries(m_throughput, tr("written rows/s"), tr("rows/s"), &ChartSample::writtenPerSec);
    m_inFlight = addSeries(m_buffer, tr("in memory (received, not yet committed)"), tr("messages"),
                           &ChartSample::inFlight);
    m_queued = addSeries(m_buffer, tr("waiting for the writer"), tr("messages"), &ChartSample::queued);
    // After the lines, so that they keep the theme's first colours (the band never overlaps a line anyway).
    addGapBand(m_throughput);
    addGapBand(m_buffer);
    layout->addWidget(m_throughput.view, 3);
    layout->addWidget(m_buffer.view, 2);

    connect(m_window, &QComboBox::currentIndexChanged, this, [this] {
        m_windowMinutes = m_window->currentData().toInt();
        redraw();
    });
    connect(m_freeze, &QAction::toggled, this, [this](bool frozen) {
        m_hint->setText(frozen ? tr("Frozen — press F9 to follow live data") : QString());
        if (!frozen)
            redraw();
    });
    applyPalette();
}

ChartPanel::Chart ChartPanel::makeChart(const QString &title, const QString &yTitle)
{
    Chart c;
    c.chart = new QChart;
    c.chart->setTitle(title);
    c.chart->legend()->setAlignment(Qt::AlignTop);
    c.chart->setMargins(QMargins(4, 4, 4, 4));
    c.chart->setAnimationOptions(QChart::NoAnimation);
    c.x = new QDateTimeAxis(c.chart);
    c.x->setFormat(QStringLiteral("HH:mm:ss"));
    c.x->setTickCount(6);
    c.y = new QValueAxis(c.chart);
    c.y->setTitleText(yTitle);
    c.y->setLabelFormat(QStringLiteral("%.0f"));
    c.y->setRange(0, 1);
    c.chart->addAxis(c.x, Qt::AlignBottom);
    c.chart->addAxis(c.y, Qt::AlignLeft);
    c.view = new QChartView(c.chart, this);
    c.view->setRenderHint(QPainter::Antialiasing);
    c.view->setMinimumHeight(150);
    c.view->setAccessibleName(title);
    return c;
}

void ChartPanel::addGapBand(Chart &c)
{
    c.gapUpper = new QLineSeries(c.chart);
    c.gapBand = new QAreaSeries(c.gapUpper);
    c.gapBand->setName(tr("no data"));
    c.chart->addSeries(c.gapBand);
    c.gapBand->attachAxis(c.x);
    c.gapBand->attachAxis(c.y);
    for (QLegendMarker *marker : c.chart->legend()->markers(c.gapBand))
        marker->setVisible(false);   // until there is a silence to show
}

QLineSeries *ChartPanel::addSeries(Chart &c, const QString &name, const QString &unit, SampleHistory::Field field)
{
    QLineSeries *series = newSeries(c, name, unit);
    m_lines.push_back(Line{series, {}, &c, field, name, unit});
    return series;
}

QLineSeries *ChartPanel::newSeries(Chart &c, const QString &name, const QString &unit)
{
    auto *series = new QLineSeries(c.chart);
    series->setName(name);
    c.chart->addSeries(series);
    series->attachAxis(c.x);
    series->attachAxis(c.y);
    QPen pen = series->pen();
    pen.setWidthF(2.0);
    series->setPen(pen);
    connect(series, &QLineSeries::hovered, this, [this, name, unit](const QPointF &p, bool inside) {
        if (!inside) {
            QToolTip::hideText();
            return;
        }
        const QString when = QDateTime::fromMSecsSinceEpoch(qint64(p.x())).toString(QStringLiteral("HH:mm:ss"));
        // The series name is a payload's field name.
        QToolTip::showText(QCursor::pos(),
                           PlainText::toolTip(QStringLiteral("%1 — %2: %3 %4")
                                                  .arg(when, name, QLocale().toString(p.y(), 'f', p.y() < 10 ? 1 : 0),
                                                       unit)),
                           this);
    });
    return series;
}

QList<const QLineSeries *> ChartPanel::segments(const QLineSeries *line) const
{
    QList<const QLineSeries *> out;
    for (const Line &l : m_lines) {
        if (l.main != line)
            continue;
        for (const QLineSeries *older : l.older)
            if (older->count() > 0)
                out.append(older);
        out.append(l.main);
    }
    return out;
}

void ChartPanel::fillLine(Line &line, qint64 fromUs, qint64 toUs)
{
    // QLineSeries has no gaps: one series per piece between silences, the newest in the main series. A point
    // belongs after a silence from the first sample after it on (points are samples, decimated or not).
    const QList<QPointF> points = m_history.points(line.field, fromUs, toUs, MaxPointsPerSeries);
    std::vector<QList<QPointF>> pieces(m_gaps.size() + 1);
    std::size_t g = 0;
    for (const QPointF &p : points) {
        while (g < m_gaps.size() && p.x() >= double(m_gaps[g].second / 1000))
            ++g;
        pieces[g].append(p);
    }
    while (line.older.size() < m_gaps.size()) {
        QLineSeries *piece = newSeries(*line.chart, line.name, line.unit);
        for (QLegendMarker *marker : line.chart->chart->legend()->markers(piece))
            marker->setVisible(false);
        line.older.push_back(piece);
    }
    for (std::size_t i = 0; i < line.older.size(); ++i) {
        QLineSeries *piece = line.older[i];
        piece->setPen(line.main->pen());
        piece->replace(i < m_gaps.size() ? pieces[i] : QList<QPointF>());
    }
    line.main->replace(pieces.back());
}

void ChartPanel::fillGapBand(Chart &c)
{
    // A rectangle over each silence, the height of the axis; between them the outline runs along zero.
    QList<QPointF> outline;
    const double top = c.y->max();
    for (const auto &[lastUs, nextUs] : m_gaps) {
        const double a = double(lastUs / 1000), b = double(nextUs / 1000);
        outline << QPointF(a, 0) << QPointF(a, top) << QPointF(b, top) << QPointF(b, 0);
    }
    c.gapUpper->replace(outline);
    for (QLegendMarker *marker : c.chart->legend()->markers(c.gapBand))
        marker->setVisible(!m_gaps.empty());
}

void ChartPanel::setWindowMinutes(int minutes)
{
    const int index = m_window->findData(minutes);
    if (index >= 0)
        m_window->setCurrentIndex(index);
}

void ChartPanel::setBufferLimit(quint64 limit)
{
    m_bufferLimit = limit;
    m_buffer.chart->setTitle(tr("Buffer depth (limit %1; reading pauses there)").arg(StatusText::count(limit)));
}

void ChartPanel::addSample(const EngineSnapshot &s)
{
    ChartSample sample;
    sample.tUs = s.takenAtUs;
    sample.receivedPerSec = s.receivedPerSec;
    sample.writtenPerSec = s.writtenPerSec;
    sample.inFlight = double(s.inFlight);
    sample.queued = double(s.queued);
    m_history.add(sample);
    if (m_bufferLimit != s.maxBuffered && s.maxBuffered > 0)
        setBufferLimit(s.maxBuffered);
    if (!m_freeze->isChecked())
        redraw();
}

void ChartPanel::redraw()
{
    const qint64 to = m_history.latestUs();
    if (to == 0)
        return;
    const qint64 from = to - qint64(m_windowMinutes) * 60 * 1000000;
    m_gaps = m_history.gaps(from, to, GapAfterUs, MaxGapsShown);
    for (Line &line : m_lines)
        fillLine(line, from, to);
    // Until the window has filled, the axis starts at the first sample rather than showing empty minutes.
    const qint64 axisFrom = std::max(from, std::min(m_history.earliestUs(), to - 10'000'000));
    const QDateTime a = QDateTime::fromMSecsSinceEpoch(axisFrom / 1000);
    const QDateTime b = QDateTime::fromMSecsSinceEpoch(to / 1000);
    const QString format = m_windowMinutes >= 15 ? QStringLiteral("HH:mm") : QStringLiteral("HH:mm:ss");
    for (Chart *c : {&m_throughput, &m_buffer}) {
        c->x->setFormat(format);
        c->x->setRange(a, b);
    }
    const double rateMax = std::max(m_history.maximum(&ChartSample::receivedPerSec, from, to),
                                    m_history.maximum(&ChartSample::writtenPerSec, from, to));
    m_throughput.y->setRange(0, niceCeiling(rateMax * 1.05));
    m_buffer.y->setRange(0, niceCeiling(m_history.maximum(&ChartSample::inFlight, from, to) * 1.05));
    fillGapBand(m_throughput);
    fillGapBand(m_buffer);
}

void ChartPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QWidget::changeEvent(event);
}

void ChartPanel::applyPalette()
{
    // Follow the system's light or dark palette: the chart theme for the series colours, the palette for the rest.
    const QPalette pal = palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    for (Chart *c : {&m_throughput, &m_buffer}) {
        c->chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        c->chart->setBackgroundBrush(pal.brush(QPalette::Base));
        c->chart->setTitleBrush(pal.brush(QPalette::Text));
        c->chart->legend()->setLabelColor(pal.color(QPalette::Text));
        for (QAbstractAxis *axis : c->chart->axes()) {
            axis->setLabelsColor(pal.color(QPalette::Text));
            axis->setTitleBrush(pal.brush(QPalette::Text));
            axis->setGridLineColor(pal.color(QPalette::Mid));
        }
        c->view->setBackgroundBrush(pal.brush(QPalette::Window));
        QColor band = pal.color(QPalette::Mid);
        band.setAlpha(dark ? 110 : 80);
        c->gapBand->setBrush(band);
        c->gapBand->setPen(Qt::NoPen);
    }
    // The second series of each chart is dashed, so the two differ by more than colour.
    for (QLineSeries *line : {m_received, m_written, m_inFlight, m_queued}) {
        QPen pen = line->pen();
        pen.setWidthF(2.0);
        pen.setStyle(line == m_written || line == m_queued ? Qt::DashLine : Qt::SolidLine);
        line->setPen(pen);
    }
    for (Line &line : m_lines)
        for (QLineSeries *piece : line.older)
            piece->setPen(line.main->pen());   // the theme gave them colours of their own
}

} // namespace iot
