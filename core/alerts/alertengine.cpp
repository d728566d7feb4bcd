// SPDX-License-Identifier: MIT
#include "alerts/alertengine.h"

#include "alerts/alerthistory.h"
#include "alerts/alertmanagerclient.h"
#include "enginesnapshot.h"
#include "logging/log.h"

#include <algorithm>

namespace iot {

AlertEngine::AlertEngine(const QList<AlertRule> &rules, const AlertingConfig &alerting, const QString &instance,
                         QObject *parent)
    : QObject(parent),
      m_feed(std::make_shared<AlertFeed>(rules)),
      m_evaluator(rules, alerting.maxTopicsPerRule),
      m_intervalUs(qint64(alerting.evaluateIntervalSec * 1e6))
{
    qRegisterMetaType<AlertEvent>();
    if (!alerting.alertmanagerUrl.isEmpty())
        m_alertmanager = new AlertmanagerClient(alerting.alertmanagerUrl, alerting.resendIntervalSec, instance, this);
}

AlertEngine::~AlertEngine() = default;

void AlertEngine::setHistoryPath(const QString &path)
{
    m_historyPath = path;
    AlertHistory::trim(path);
}

PipelineSample AlertEngine::pipelineSample(const EngineSnapshot &s)
{
    PipelineSample p;
    // Not writing: something waits for the database (or it is not connected), counted from when that began or from
    // the last commit, whichever is later — an idle hour before a message is not an hour of not writing.
    const bool waiting = s.inFlight > 0 || s.db.state != BatchWriter::State::Connected;
    if (!waiting)
        m_waitingSinceUs = 0;
    else if (m_waitingSinceUs == 0)
        m_waitingSinceUs = s.takenAtUs;
    if (waiting)
        p.dbNotWritingSec = double(s.takenAtUs - std::max(m_waitingSinceUs, s.lastCommitUs)) / 1e6;
    p.backlog = double(s.inFlight);
    p.deadLettered = s.deadLettered;
    if (s.spoolEnabled && s.spoolMaxBytes > 0)
        p.spoolPercent = 100.0 * double(s.spoolBytes) / double(s.spoolMaxBytes);
    return p;
}

void AlertEngine::apply(AlertEvaluator &evaluator, const std::vector<AlertFeed::Sample> &samples)
{
    // A folded sample is replayed as its extreme first (so a spike between two evaluations is seen), then its last
    // value (the state the topic is in now).
    for (const AlertFeed::Sample &s : samples) {
        if (s.seen) {
            evaluator.addSeen(s.rule, s.topic, s.lastUs);
            continue;
        }
        switch (evaluator.rules().at(s.rule).condition) {
        case AlertRule::Condition::Above: evaluator.addValue(s.rule, s.topic, s.max, s.firstUs); break;
        case AlertRule::Condition::Below: evaluator.addValue(s.rule, s.topic, s.min, s.firstUs); break;
        case AlertRule::Condition::Outside:
            evaluator.addValue(s.rule, s.topic, s.min, s.firstUs);
            evaluator.addValue(s.rule, s.topic, s.max, s.firstUs);
            break;
        case AlertRule::Condition::Equals: break;
        }
        evaluator.addValue(s.rule, s.topic, s.last, s.lastUs);
    }
}

void AlertEngine::evaluate(const EngineSnapshot &snapshot)
{
    if (snapshot.takenAtUs - m_lastUs < m_intervalUs)
        return;
    m_lastUs = snapshot.takenAtUs;
    apply(m_evaluator, m_feed->take());
    m_evaluator.evaluate(snapshot.takenAtUs, pipelineSample(snapshot));
    for (const AlertEvent &e : m_evaluator.takeEvents()) {
        const std::string topic = e.topic.isEmpty() ? std::string() : " on " + e.topic.toStdString();
        if (e.kind == AlertEvent::Kind::Fired)
            log::get("alerts")->warn("alert {} FIRING{} (severity {}, value {:g})", e.ruleName.toStdString(), topic,
                                     e.severity.toStdString(), e.value);
        else
            log::get("alerts")->info("alert {} resolved{} after {:.1f} s (value {:g})", e.ruleName.toStdString(),
                                     topic, double(e.atUs - e.startsAtUs) / 1e6, e.value);
        if (m_alertmanager)
            m_alertmanager->add(e);
        QString error;
        if (!m_historyPath.isEmpty() && !AlertHistory::append(m_historyPath, e, &error) && !m_historyWarned) {
            m_historyWarned = true;
            log::get("alerts")->warn("cannot keep the alert history in {}: {} (logged once)",
                                     m_historyPath.toStdString(), error.toStdString());
        }
        Q_EMIT alertChanged(e);
    }
}

void AlertEngine::fill(EngineSnapshot &snapshot) const
{
    snapshot.alerts.clear();
    const QList<AlertRule> &rules = m_evaluator.rules();
    for (int i = 0; i < rules.size(); ++i)
        snapshot.alerts.append({rules.at(i).name, rules.at(i).severity, m_evaluator.firingCount(i)});
    snapshot.alertSamplesDropped = m_feed->droppedSamples();
    snapshot.alertValuesUnreadable = m_feed->unreadableValues();
    snapshot.alertTopicsUntracked = m_evaluator.untrackedTopics();
}

} // namespace iot
