// SPDX-License-Identifier: MIT
#pragma once

#include "observability/topicstats.h"

#include <QHash>
#include <QWidget>

class QChart;
class QChartView;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QListWidget;
class QListWidgetItem;
class QPlainTextEdit;
class QValueAxis;

namespace iot {

/// The selected topic: its facts, latest payload pretty-printed (saying so when it was cut), and a live plot of
/// the numeric JSON fields the operator ticks. Updated by the topic panel when the topic changes (≤ 10 Hz), so the
/// plot samples the latest value per refresh. Lives on the GUI thread.
class TopicDetails final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopicDetails)
public:
    explicit TopicDetails(QWidget *parent = nullptr);

    /// Shows `topic` (empty: nothing selected); the plot starts over when the topic changes.
    void showTopic(const QString &topic, const TopicSample *sample, double rate, qint64 nowUs);
    QString topic() const { return m_topic; }
    /// Plots the numeric field at `path` (as listed) of the current topic.
    void setFieldPlotted(const QString &path, bool plotted);

    // For tests.
    QString payloadText() const;
    QStringList numericFields() const;
    const QLineSeries *fieldSeries(const QString &path) const { return m_series.value(path); }

    static constexpr int MaxPlotPoints = 3000;

private:
    void updateFields(const QByteArray &payload);
    void onItemChanged(QListWidgetItem *item);
    void appendPlotPoints(const TopicSample &sample);
    void rescale();

    QString m_topic;
    quint64 m_version = 0;
    QLabel *m_title = nullptr;
    QLabel *m_facts = nullptr;
    QPlainTextEdit *m_payload = nullptr;
    QListWidget *m_fields = nullptr;
    QChart *m_chart = nullptr;
    QChartView *m_chartView = nullptr;
    QDateTimeAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    QHash<QString, QLineSeries *> m_series;
    QByteArray m_lastPayload;
};

} // namespace iot
