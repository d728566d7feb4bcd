// SPDX-License-Identifier: MIT
#include "historypanel.h"

#include "historychartview.h"
#include "export/exporter.h"
#include "history/historycsv.h"
#include "history/historyworker.h"

#include <QAreaSeries>
#include <QChart>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QDateTimeEdit>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSaveFile>
#include <QThread>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace iot {
namespace {

enum Preset { LastHour, LastDay, LastWeek, Custom };

constexpr qint64 HourMs = 3600 * 1000;
constexpr int MaxBuckets = 2000;
constexpr int LiveIntervalMs = 5000;

// Colours that stay apart for the first series (Okabe–Ito), then repeat.
const QColor Colours[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                          QColor(230, 159, 0), QColor(86, 180, 233), QColor(120, 120, 120)};

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString timeText(qint64 ms)
{
    // Local time, as the chart's axis shows it (QDateTimeAxis knows no other zone in Qt 6.4).
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss t"));
}

} // namespace

HistoryPanel::HistoryPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("historyPanel"));
    m_topics = new QLineEdit(this);
    m_topics->setObjectName(QStringLiteral("historyTopics"));
    m_topics->setPlaceholderText(tr("topics, e.g. sensors/+/temp (comma between filters)"));
    m_table = new QComboBox(this);
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_field = new QComboBox(this);
    m_field->setObjectName(QStringLiteral("historyField"));
    m_field->setEditable(true);
    m_field->setMinimumContentsLength(12);
    m_field->setToolTip(tr("A JSON pointer into the stored payloads (/temp, /meta/value), or a numeric column of "
                           "the mapped table"));
    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("historyRange"));
    m_preset->addItems({tr("last hour"), tr("last day"), tr("last week"), tr("custom")});
    m_from = new QDateTimeEdit(this);
    m_to = new QDateTimeEdit(this);
    for (QDateTimeEdit *e : {m_from, m_to}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    }
    m_plot = new QPushButton(tr("&Plot"), this);
    m_plot->setObjectName(QStringLiteral("historyPlot"));
    m_plot->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("historyStatus"));
    // Long texts (a database's error) must not widen the window: shown cut, an error whole in the tooltip.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setText(tr("Topics and a field, then Plot (or \"Plot history\" on a topic in the Topics tab)"));
    m_export = new QPushButton(tr("&Export"), this);
    m_export->setObjectName(QStringLiteral("historyExport"));
    auto *exportMenu = new QMenu(m_export);
    exportMenu->addAction(tr("Shown buckets as CSV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the plotted buckets"), QString(),
                                                          tr("CSV (*.csv)"));
        if (!path.isEmpty())
            exportShown(path);
    });
    exportMenu->addAction(tr("Raw rows behind the plot as CSV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the stored rows"), QString(),
                                                          tr("CSV (*.csv)"));
        if (!path.isEmpty())
            exportRaw(path);
    });
    m_export->setMenu(exportMenu);
    m_exportProgress = new QProgressBar(this);
    m_exportProgress->setRange(0, 0);
    m_exportProgress->setMaximumWidth(160);
    m_exportProgress->hide();
    m_exportCancel = new QPushButton(tr("Stop export"), this);
    m_exportCancel->hide();

    auto *row1 = new QHBoxLayout;
    auto *topicsLabel = new QLabel(tr("T&opics:"), this);
    topicsLabel->setBuddy(m_topics);
    auto *fieldLabel = new QLabel(tr("F&ield:"), this);
    fieldLabel->setBuddy(m_field);
    row1->addWidget(topicsLabel);
    row1->addWidget(m_topics, 2);
    row1->addWidget(m_table);
    row1->addWidget(fieldLabel);
    row1->addWidget(m_field, 1);
    auto *row2 = new QHBoxLayout;
    auto *rangeLabel = new QLabel(tr("&Range:"), this);
    rangeLabel->setBuddy(m_preset);
    row2->addWidget(rangeLabel);
    row2->addWidget(m_preset);
    row2->addWidget(m_from);
    row2->addWidget(new QLabel(QStringLiteral("–"), this));
    row2->addWidget(m_to);
    row2->addWidget(m_plot);
    row2->addWidget(m_cancel);
    row2->addWidget(m_status, 1);
    row2->addWidget(m_exportProgress);
    row2->addWidget(m_exportCancel);
    row2->addWidget(m_export);

    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_axisX = new QDateTimeAxis(m_chart);
    m_axisX->setTickCount(7);
    m_axisY = new QValueAxis(m_chart);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);
    m_view = new HistoryChartView(m_chart, this);
    m_view->setObjectName(QStringLiteral("historyChart"));
    m_view->setDescribe([this](qint64 ms) { return describeAt(ms); });
    m_view->setToolTip(tr("Drag to zoom into a time range, right click to zoom out, middle drag or ←/→ to pan"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(row1);
    layout->addLayout(row2);
    layout->addWidget(m_view, 1);

    m_requery.setSingleShot(true);
    m_requery.setInterval(300);
    connect(&m_requery, &QTimer::timeout, this, [this] {
        // A range that still reaches now keeps following it.
        plotRange(m_fromMs, m_toMs, m_toMs >= nowMs() - 1000);
    });
    m_live.setInterval(LiveIntervalMs);
    connect(&m_live, &QTimer::timeout, this, [this] {
        if (m_isLive && !m_worker->busy()) {
            const qint64 span = m_toMs - m_fromMs;
            plotRange(nowMs() - span, nowMs(), true);
        }
    });
    connect(m_preset, &QComboBox::currentIndexChanged, this, &HistoryPanel::onPreset);
    connect(m_table, &QComboBox::currentIndexChanged, this, &HistoryPanel::fillFields);
    connect(m_plot, &QPushButton::clicked, this, &HistoryPanel::plot);
    connect(m_cancel, &QPushButton::clicked, this, &HistoryPanel::cancel);
    connect(m_exportCancel, &QPushButton::clicked, this, &HistoryPanel::cancelExport);
    connect(m_topics, &QLineEdit::returnPressed, this, &HistoryPanel::plot);
    connect(m_axisX, &QDateTimeAxis::rangeChanged, this, &HistoryPanel::onAxisRange);
    onPreset();
}

HistoryPanel::~HistoryPanel()
{
    if (m_exportThread) {
        *m_exportStop = true;
        m_exportThread->wait();
    }
}

bool HistoryPanel::exportShown(const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !HistoryCsv::write(m_result, &file) || !file.commit()) {
        m_status->setText(tr("export to %1 failed: %2").arg(path, file.errorString()));
        return false;
    }
    m_status->setText(tr("exported the plotted buckets to %1").arg(path));
    return true;
}

void HistoryPanel::exportRaw(const QString &path)
{
    if (m_exportThread)
        return;  // one at a time
    ExportRequest request;
    for (const QString &t : m_topics->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!t.trimmed().isEmpty())
            request.topics << t.trimmed();
    request.table = m_table->currentData().toString();
    if (request.table.isEmpty() && !m_field->currentText().trimmed().isEmpty())
        request.fields << qMakePair(QStringLiteral("value"), m_field->currentText().trimmed());
    request.fromUs = m_fromMs * 1000;
    request.toUs = m_toMs * 1000;
    m_exportStop = std::make_shared<std::atomic_bool>(false);
    m_exportProgress->show();
    m_exportCancel->show();
    m_export->setEnabled(false);
    // The worker reports to this panel, which waits for it in its destructor: `this` outlives every queued call.
    m_exportThread = QThread::create([this, config = m_config, request, path, stop = m_exportStop] {
        ExportOutcome outcome;
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            outcome.ending = ExportOutcome::Ending::OutputFailed;
            outcome.message = file.errorString();
        } else {
            Exporter exporter(config, request);
            exporter.setCancelFlag(stop.get());
            exporter.setProgress([this](std::int64_t rows) {
                QMetaObject::invokeMethod(this, [this, rows] {
                    m_status->setText(tr("exporting: %1 rows").arg(rows));
                }, Qt::QueuedConnection);
            }, 20000);
            outcome = exporter.run(&file);
            if (outcome.ending == ExportOutcome::Ending::Done && !file.commit()) {
                outcome.ending = ExportOutcome::Ending::OutputFailed;
                outcome.message = file.errorString();
            }
        }
        QMetaObject::invokeMethod(this, [this, outcome, path] {
            m_exportThread->wait();
            delete m_exportThread;
            m_exportThread = nullptr;
            m_exportProgress->hide();
            m_exportCancel->hide();
            m_export->setEnabled(true);
            const bool done = outcome.ending == ExportOutcome::Ending::Done;
            m_status->setText(done ? tr("exported %1 rows to %2").arg(outcome.rows).arg(path)
                              : outcome.ending == ExportOutcome::Ending::Cancelled ? tr("export stopped")
                                                                                   : outcome.message);
            Q_EMIT exported(done, outcome.rows, outcome.message);
        }, Qt::QueuedConnection);
    });
    m_exportThread->start(QThread::LowPriority);
}

void HistoryPanel::cancelExport()
{
    if (m_exportStop)
        *m_exportStop = true;
}

void HistoryPanel::setConfig(const Config &config)
{
    if (m_worker && config.database == m_config.database && config.mappings == m_config.mappings)
        return;
    m_config = config;
    delete m_worker;
    m_worker = new HistoryWorker(config, this);
    connect(m_worker, &HistoryWorker::finished, this, &HistoryPanel::onResult);
    const QString current = m_table->currentData().toString();
    m_table->clear();
    m_table->addItem(tr("raw readings"), QString());
    for (const MappingRule &r : config.mappings)
        m_table->addItem(tr("table %1").arg(r.table), r.table);
    m_table->setCurrentIndex(std::max(0, m_table->findData(current)));
    fillFields();
}

void HistoryPanel::setTopics(const QString &filter)
{
    m_topics->setText(filter);
}

void HistoryPanel::setField(const QString &field)
{
    m_field->setCurrentText(field);
}

void HistoryPanel::fillFields()
{
    const QString table = m_table->currentData().toString();
    const QString current = m_field->currentText();
    m_field->clear();
    for (const MappingRule &r : m_config.mappings)
        if (r.table == table)
            for (const ColumnMapping &c : r.columns)
                if (c.type == ColumnMapping::Type::Integer || c.type == ColumnMapping::Type::Double)
                    m_field->addItem(c.name);
    m_field->setCurrentText(table.isEmpty() && current.isEmpty() ? QStringLiteral("/value") : current);
}

void HistoryPanel::onPreset()
{
    const bool custom = m_preset->currentIndex() == Custom;
    m_from->setEnabled(custom);
    m_to->setEnabled(custom);
    if (custom)
        return;
    const qint64 span = m_preset->currentIndex() == LastHour ? HourMs
        : m_preset->currentIndex() == LastDay               ? 24 * HourMs
                                                            : 7 * 24 * HourMs;
    const qint64 now = nowMs();
    m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(now - span));
    m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(now));
}

void HistoryPanel::plot()
{
    if (m_preset->currentIndex() != Custom) {
        onPreset();  // "last hour" means the hour up to this click
        plotRange(m_from->dateTime().toMSecsSinceEpoch(), nowMs(), true);
        return;
    }
    plotRange(m_from->dateTime().toMSecsSinceEpoch(), m_to->dateTime().toMSecsSinceEpoch(), false);
}

void HistoryPanel::plotRange(qint64 fromMs, qint64 toMs, bool live)
{
    if (!m_worker)
        return;
    HistoryRequest request;
    for (const QString &t : m_topics->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!t.trimmed().isEmpty())
            request.topics << t.trimmed();
    request.table = m_table->currentData().toString();
    request.field = m_field->currentText().trimmed();
    request.fromUs = fromMs * 1000;
    request.toUs = toMs * 1000;
    request.maxBuckets = MaxBuckets;
    m_fromMs = fromMs;
    m_toMs = toMs;
    m_isLive = live;
    // The controls show what is plotted; a zoomed or panned range is a custom one.
    {
        const QSignalBlocker block(m_preset);
        if (!live)
            m_preset->setCurrentIndex(Custom);
        m_from->setEnabled(m_preset->currentIndex() == Custom);
        m_to->setEnabled(m_preset->currentIndex() == Custom);
        m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(fromMs));
        m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(toMs));
    }
    if (live)
        m_live.start();
    else
        m_live.stop();
    m_queryId = m_worker->query(request);
    m_cancel->setEnabled(true);
    m_status->setText(tr("querying %1 – %2 …").arg(timeText(fromMs), timeText(toMs)));
}

void HistoryPanel::cancel()
{
    m_live.stop();
    m_isLive = false;
    if (m_worker)
        m_worker->cancel();
}

QString HistoryPanel::statusText() const
{
    return m_status->text();
}

void HistoryPanel::onAxisRange(const QDateTime &min, const QDateTime &max)
{
    if (m_settingAxis)
        return;
    // The user zoomed or panned: plot the new range at its own, finer buckets once the gesture settles.
    m_fromMs = min.toMSecsSinceEpoch();
    m_toMs = max.toMSecsSinceEpoch();
    if (m_toMs > m_fromMs)
        m_requery.start();
}

void HistoryPanel::onResult(int id, const HistoryResult &result)
{
    if (id != m_queryId)
        return;  // an older query, replaced by a newer zoom
    m_cancel->setEnabled(false);
    switch (result.ending) {
    case HistoryResult::Ending::Done: {
        qint64 buckets = 0, values = 0;
        for (const HistorySeries &s : result.series) {
            buckets += s.buckets.size();
            for (const HistoryBucket &b : s.buckets)
                values += b.count;
        }
        m_status->setText(tr("%n series, %1 buckets of %2 s, %3 values", nullptr, int(result.series.size()))
                              .arg(buckets)
                              .arg(double(result.bucketUs) / 1e6, 0, 'g', 4)
                              .arg(values));
        draw(result);
        break;
    }
    case HistoryResult::Ending::Cancelled:
        m_status->setText(tr("cancelled"));
        break;
    case HistoryResult::Ending::BadRequest:
    case HistoryResult::Ending::DatabaseFailed:
        m_live.stop();
        m_isLive = false;
        m_status->setText(result.message);
        m_status->setToolTip(result.message);
        break;
    }
    Q_EMIT plotted(result);
}

void HistoryPanel::draw(const HistoryResult &result)
{
    m_result = result;
    // Adding series moves the axes to their data: not a zoom by the user, so no re-query.
    m_settingAxis = true;
    m_chart->removeAllSeries();
    double lo = qInf(), hi = -qInf();
    const double halfBucketMs = double(result.bucketUs) / 2000.0;
    for (qsizetype i = 0; i < result.series.size(); ++i) {
        const HistorySeries &s = result.series[i];
        const QColor colour = Colours[i % std::size(Colours)];
        auto *upper = new QLineSeries;
        auto *lower = new QLineSeries;
        auto *mean = new QLineSeries;
        QList<QPointF> up, down, mid;
        up.reserve(s.buckets.size());
        down.reserve(s.buckets.size());
        mid.reserve(s.buckets.size());
        for (const HistoryBucket &b : s.buckets) {
            // Each bucket is drawn at its middle.
            const double x = double(b.startUs) / 1000.0 + halfBucketMs;
            up << QPointF(x, b.max);
            down << QPointF(x, b.min);
            mid << QPointF(x, b.mean);
            lo = std::min(lo, b.min);
            hi = std::max(hi, b.max);
        }
        upper->replace(up);
        lower->replace(down);
        mean->replace(mid);
        auto *band = new QAreaSeries(upper, lower);
        band->setName(s.topic + tr(" min–max"));
        QColor fill = colour;
        fill.setAlpha(60);
        band->setBrush(fill);
        band->setPen(Qt::NoPen);
        mean->setName(s.topic);
        mean->setPen(QPen(colour, 2));
        m_chart->addSeries(band);
        m_chart->addSeries(mean);
        for (QAbstractSeries *a : {static_cast<QAbstractSeries *>(band), static_cast<QAbstractSeries *>(mean)}) {
            a->attachAxis(m_axisX);
            a->attachAxis(m_axisY);
        }
        // One legend entry per topic: its mean line's colour.
        for (QLegendMarker *m : m_chart->legend()->markers(band))
            m->setVisible(false);
    }
    m_axisX->setRange(QDateTime::fromMSecsSinceEpoch(m_fromMs),
                      QDateTime::fromMSecsSinceEpoch(m_toMs));
    const qint64 spanMs = m_toMs - m_fromMs;
    m_axisX->setFormat(spanMs > 2 * 24 * HourMs ? QStringLiteral("MM-dd HH:mm")
                       : spanMs > 120 * 1000    ? QStringLiteral("HH:mm")
                                                : QStringLiteral("HH:mm:ss"));
    if (std::isfinite(lo)) {
        const double pad = hi > lo ? (hi - lo) * 0.05 : 1.0;
        m_axisY->setRange(lo - pad, hi + pad);
        m_axisY->applyNiceNumbers();
    }
    m_settingAxis = false;
}

QString HistoryPanel::describeAt(qint64 ms) const
{
    if (m_result.series.isEmpty() || m_result.bucketUs <= 0)
        return {};
    const std::int64_t us = ms * 1000;
    QStringList lines{timeText(ms)};
    // Buckets hold no row where a sensor sent nothing (finer buckets than its interval): the nearest one within
    // two buckets or 1 % of the range is "under" the cursor.
    const std::int64_t reach = std::max<std::int64_t>(2 * m_result.bucketUs, (m_result.toUs - m_result.fromUs) / 100);
    const auto distance = [&](const HistoryBucket &b) {
        return std::abs(b.startUs + m_result.bucketUs / 2 - us);
    };
    for (const HistorySeries &s : m_result.series) {
        auto it = std::lower_bound(s.buckets.cbegin(), s.buckets.cend(), us,
                                   [](const HistoryBucket &b, std::int64_t t) { return b.startUs < t; });
        if (it == s.buckets.cend() || (it != s.buckets.cbegin() && distance(*(it - 1)) < distance(*it)))
            it = it == s.buckets.cbegin() ? it : it - 1;
        if (it == s.buckets.cend() || distance(*it) > reach)
            continue;
        const HistoryBucket &b = *it;
        lines << tr("%1: %2 (%3 … %4, n=%5)")
                     .arg(s.topic)
                     .arg(b.mean, 0, 'g', 6)
                     .arg(b.min, 0, 'g', 6)
                     .arg(b.max, 0, 'g', 6)
                     .arg(b.count);
    }
    return lines.size() > 1 ? lines.join(QLatin1Char('\n')) : QString();
}

} // namespace iot
