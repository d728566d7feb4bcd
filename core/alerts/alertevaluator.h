// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>

#include <cstdint>
#include <deque>
#include <vector>

namespace iot {

/// One fire or resolve of one alert instance (a rule, and for topic rules one topic).
struct AlertEvent
{
    enum class Kind { Fired, Resolved };
    Kind kind = Kind::Fired;
    int rule = -1;               // index into Config::alerts
    QString ruleName;
    QString topic;               // empty for pipeline rules
    QString severity;
    QString summary;
    QString description;
    double value = 0;            // the value that made it fire (or resolve); seconds stale for staleness rules
    qint64 startsAtUs = 0;       // when it fired
    qint64 atUs = 0;             // when this event happened (= startsAtUs for Fired)
};

/// The pipeline's figures that pipeline rules compare, taken from an EngineSnapshot by AlertEngine.
struct PipelineSample
{
    double dbNotWritingSec = 0;  // 0 while the database keeps up (nothing waiting, or committed just now)
    double backlog = 0;          // messages received and not yet accounted for
    quint64 deadLettered = 0;    // the counter, for a rate over the last minute
    double spoolPercent = 0;     // of spool max_mb
};

/// The alert state machine of every rule and topic: inactive → pending (condition holds, for_sec not yet over) →
/// firing → resolved (for value rules once the value is back past threshold ∓ hysteresis). Time comes from the
/// caller, so it is tested without waiting. Not thread-safe: owned by AlertEngine on the main thread.
class AlertEvaluator final
{
public:
    AlertEvaluator(QList<AlertRule> rules, int maxTopicsPerRule);

    /// A value of a value rule's field on `topic`, received at `us`.
    void addValue(int rule, const QString &topic, double value, qint64 us);
    /// A message on a topic of a staleness rule.
    void addSeen(int rule, const QString &topic, qint64 us);
    /// Promotes pending alerts whose for_sec is over, checks staleness and the pipeline rules.
    void evaluate(qint64 nowUs, const PipelineSample &pipeline);

    /// The fires and resolves since the last call, in order.
    std::vector<AlertEvent> takeEvents();
    /// Firing instances of `rule` (topics for topic rules, 0 or 1 for pipeline rules).
    int firingCount(int rule) const;
    QList<AlertEvent> firing() const;
    /// Topics a rule did not track because it had max_topics_per_rule already.
    quint64 untrackedTopics() const { return m_untracked; }
    const QList<AlertRule> &rules() const { return m_rules; }

private:
    struct Instance
    {
        enum class State { Inactive, Pending, Firing };
        State state = State::Inactive;
        qint64 sinceUs = 0;       // Pending: when the condition began
        qint64 startsAtUs = 0;    // Firing: when it fired
        qint64 lastSeenUs = 0;    // staleness rules
        double value = 0;
    };

    Instance *instance(int rule, const QString &topic);
    void step(int rule, const QString &topic, Instance &in, bool violated, bool cleared, double value, qint64 us);
    void fire(int rule, const QString &topic, Instance &in, double value, qint64 us);
    void resolve(int rule, const QString &topic, Instance &in, double value, qint64 us);
    double deadLettersPerMinute(qint64 nowUs, quint64 count);

    QList<AlertRule> m_rules;
    std::vector<QHash<QString, Instance>> m_instances;  // per rule, by topic ("" for pipeline rules)
    std::vector<int> m_firing;   // per rule: its instances in Firing (fire() and resolve() keep it), for snapshots
    int m_maxTopics;
    quint64 m_untracked = 0;
    std::deque<std::pair<qint64, quint64>> m_deadLetterHistory;  // (time, counter) over the last minute
    std::vector<AlertEvent> m_events;
};

} // namespace iot

Q_DECLARE_METATYPE(iot::AlertEvent)
