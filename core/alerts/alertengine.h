// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"
#include "alerts/alertfeed.h"
#include "config/config.h"

#include <QList>
#include <QObject>

#include <memory>

namespace iot {

class AlertmanagerClient;
struct EngineSnapshot;

/// The alerts beside ingestion: the AlertFeed taps the ingest thread; on each engine snapshot (at most every
/// evaluate_interval_sec) the queued samples and the pipeline's figures go through the AlertEvaluator, and every
/// fire and resolve is logged, sent to the Alertmanager (if configured) and emitted. Lives on the main thread.
class AlertEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertEngine)
public:
    AlertEngine(const QList<AlertRule> &rules, const AlertingConfig &alerting, const QString &instance,
                QObject *parent = nullptr);
    ~AlertEngine() override;

    std::shared_ptr<AlertFeed> feed() const { return m_feed; }
    void evaluate(const EngineSnapshot &snapshot);
    /// Adds the rules' firing counts and the feed's counters to `snapshot`.
    void fill(EngineSnapshot &snapshot) const;
    QList<AlertEvent> firing() const { return m_evaluator.firing(); }
    AlertmanagerClient *alertmanager() const { return m_alertmanager; }
    /// Where each fire and resolve is also appended (AlertHistory; empty: nowhere). Trims the file once.
    void setHistoryPath(const QString &path);

    /// The pipeline rules' figures from a snapshot; remembers since when the database has had work waiting.
    PipelineSample pipelineSample(const EngineSnapshot &snapshot);
    /// Feeds folded samples to the evaluator in time order (each as its extreme, then its last value).
    static void apply(AlertEvaluator &evaluator, const std::vector<AlertFeed::Sample> &samples);

Q_SIGNALS:
    void alertChanged(const iot::AlertEvent &event);

private:
    std::shared_ptr<AlertFeed> m_feed;
    AlertEvaluator m_evaluator;
    AlertmanagerClient *m_alertmanager = nullptr;
    qint64 m_intervalUs;
    qint64 m_lastUs = 0;
    qint64 m_waitingSinceUs = 0;   // 0: nothing waits for the database
    QString m_historyPath;
    bool m_historyWarned = false;
};

} // namespace iot
