// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "history/historyrequest.h"

#include <QTimer>
#include <QWidget>

#include <atomic>
#include <memory>

class QAreaSeries;
class QChart;
class QComboBox;
class QDateTimeAxis;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QLineSeries;
class QProgressBar;
class QPushButton;
class QThread;
class QValueAxis;

namespace iot {

class HistoryChartView;
class HistoryWorker;

/// The History tab: topics (MQTT filters), a numeric field (a JSON pointer, or a column of a [[mappings]] table)
/// and a time range, plotted from the database as one min–max band and mean line per topic. Zooming or panning
/// re-queries at finer buckets; a range that ends now follows the live data. Queries run on a HistoryWorker.
/// GUI thread.
class HistoryPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit HistoryPanel(QWidget *parent = nullptr);
    ~HistoryPanel() override;

    /// The database and [[mappings]] tables to plot from; a new config makes a new connection.
    void setConfig(const Config &config);
    /// Puts `filter` into the topics (from the topic tree).
    void setTopics(const QString &filter);
    void setField(const QString &field);
    /// Plots the range [fromMs, toMs); `live` keeps it sliding to now.
    void plotRange(qint64 fromMs, qint64 toMs, bool live);

    HistoryChartView *view() const { return m_view; }
    QChart *chart() const { return m_chart; }
    const HistoryResult &result() const { return m_result; }
    QString statusText() const;

    /// Writes the buckets on show as CSV (HistoryCsv) to `path`; false with the status saying why.
    bool exportShown(const QString &path);
    /// Streams the raw rows behind the plot (the same topics, field and range; a mapped table's columns) to `path`
    /// with core/export's Exporter on a worker thread, a progress bar and cancel; `exported` when it ends. The file
    /// appears only when the export succeeded.
    void exportRaw(const QString &path);
    void cancelExport();

public Q_SLOTS:
    /// Plots what the controls say.
    void plot();
    void cancel();

Q_SIGNALS:
    /// A query ended (done, failed or cancelled) and the chart shows its result.
    void plotted(const iot::HistoryResult &result);
    /// A raw export ended: `done` (every row written) or not, the rows written, and what went wrong.
    void exported(bool done, qint64 rows, const QString &message);

private:
    void onPreset();
    void onAxisRange(const QDateTime &min, const QDateTime &max);
    void onResult(int id, const HistoryResult &result);
    void draw(const HistoryResult &result);
    void setRange(qint64 fromMs, qint64 toMs);
    void fillFields();
    QString describeAt(qint64 ms) const;

    QLineEdit *m_topics = nullptr;
    QComboBox *m_table = nullptr;
    QComboBox *m_field = nullptr;
    QComboBox *m_preset = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QPushButton *m_plot = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_export = nullptr;
    QProgressBar *m_exportProgress = nullptr;
    QPushButton *m_exportCancel = nullptr;
    QThread *m_exportThread = nullptr;
    std::shared_ptr<std::atomic_bool> m_exportStop;
    QChart *m_chart = nullptr;
    HistoryChartView *m_view = nullptr;
    QDateTimeAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
    HistoryWorker *m_worker = nullptr;
    Config m_config;
    HistoryResult m_result;
    QTimer m_requery;   // a zoom or pan settles before it is queried
    QTimer m_live;      // re-queries a range that ends now
    qint64 m_fromMs = 0;
    qint64 m_toMs = 0;
    bool m_isLive = false;
    bool m_settingAxis = false;
    int m_queryId = 0;
};

} // namespace iot
