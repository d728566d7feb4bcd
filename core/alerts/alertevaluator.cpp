// SPDX-License-Identifier: MIT
#include "alerts/alertevaluator.h"

#include <cmath>

namespace iot {

namespace {

constexpr qint64 MinuteUs = 60'000'000;

qint64 seconds(double s)
{
    return qint64(std::llround(s * 1e6));
}

// Whether `v` breaks the rule, and whether it is back far enough (hysteresis) to resolve a firing alert.
bool violates(const AlertRule &r, double v)
{
    switch (r.condition) {
    case AlertRule::Condition::Above: return v > r.threshold;
    case AlertRule::Condition::Below: return v < r.threshold;
    case AlertRule::Condition::Outside: return v < r.low || v > r.high;
    case AlertRule::Condition::Equals: return v == r.threshold;
    }
    return false;
}

bool clears(const AlertRule &r, double v)
{
    const double h = r.hysteresis;
    switch (r.condition) {
    case AlertRule::Condition::Above: return v <= r.threshold - h;
    case AlertRule::Condition::Below: return v >= r.threshold + h;
    case AlertRule::Condition::Outside: return v >= r.low + h && v <= r.high - h;
    case AlertRule::Condition::Equals: return std::abs(v - r.threshold) > h;
    }
    return true;
}

} // namespace

AlertEvaluator::AlertEvaluator(QList<AlertRule> rules, int maxTopicsPerRule)
    : m_rules(std::move(rules)), m_instances(std::size_t(m_rules.size())), m_firing(std::size_t(m_rules.size())),
      m_maxTopics(maxTopicsPerRule)
{
}

AlertEvaluator::Instance *AlertEvaluator::instance(int rule, const QString &topic)
{
    auto &map = m_instances[std::size_t(rule)];
    auto it = map.find(topic);
    if (it != map.end())
        return &*it;
    if (map.size() >= m_maxTopics) {
        ++m_untracked;
        return nullptr;
    }
    return &*map.insert(topic, Instance{});
}

void AlertEvaluator::fire(int rule, const QString &topic, Instance &in, double value, qint64 us)
{
    if (in.state != Instance::State::Firing)
        ++m_firing[std::size_t(rule)];
    in.state = Instance::State::Firing;
    in.startsAtUs = us;
    in.value = value;
    const AlertRule &r = m_rules.at(rule);
    m_events.push_back({AlertEvent::Kind::Fired, rule, r.name, topic, r.severity, r.summary, r.description, value, us,
                        us});
}

void AlertEvaluator::resolve(int rule, const QString &topic, Instance &in, double value, qint64 us)
{
    const AlertRule &r = m_rules.at(rule);
    m_events.push_back({AlertEvent::Kind::Resolved, rule, r.name, topic, r.severity, r.summary, r.description, value,
                        in.startsAtUs, us});
    if (in.state == Instance::State::Firing)
        --m_firing[std::size_t(rule)];
    in.state = Instance::State::Inactive;
    in.value = value;
}

void AlertEvaluator::step(int rule, const QString &topic, Instance &in, bool violated, bool cleared, double value,
                          qint64 us)
{
    const AlertRule &r = m_rules.at(rule);
    using S = Instance::State;
    switch (in.state) {
    case S::Inactive:
        if (!violated)
            return;
        in.state = S::Pending;
        in.sinceUs = us;
        in.value = value;
        [[fallthrough]];
    case S::Pending:
        if (!violated) {
            in.state = S::Inactive;
            return;
        }
        in.value = value;
        if (us - in.sinceUs >= seconds(r.forSec))
            fire(rule, topic, in, value, us);
        return;
    case S::Firing:
        in.value = value;
        if (cleared)
            resolve(rule, topic, in, value, us);
        return;
    }
}

void AlertEvaluator::addValue(int rule, const QString &topic, double value, qint64 us)
{
    const AlertRule &r = m_rules.at(rule);
    // The common case, a fine value of a topic that is fine: nothing to do and no state to create (one lookup, not
    // an insert and a remove per folded sample).
    if (!violates(r, value)
        && (m_instances[std::size_t(rule)].isEmpty() || !m_instances[std::size_t(rule)].contains(topic)))
        return;   // isEmpty() first: no hash of the topic while none of the rule's topics is in trouble
    Instance *in = instance(rule, topic);
    if (!in)
        return;
    step(rule, topic, *in, violates(r, value), clears(r, value), value, us);
    // A value rule keeps no state for a topic that is fine: memory follows the topics in trouble.
    if (in->state == Instance::State::Inactive)
        m_instances[std::size_t(rule)].remove(topic);
}

void AlertEvaluator::addSeen(int rule, const QString &topic, qint64 us)
{
    Instance *in = instance(rule, topic);
    if (!in)
        return;
    in->lastSeenUs = std::max(in->lastSeenUs, us);
    if (in->state == Instance::State::Firing)
        resolve(rule, topic, *in, 0, us);
    else
        in->state = Instance::State::Inactive;
}

double AlertEvaluator::deadLettersPerMinute(qint64 nowUs, quint64 count)
{
    m_deadLetterHistory.emplace_back(nowUs, count);
    // Keep one sample at least a minute old: the count a minute ago.
    while (m_deadLetterHistory.size() > 2 && m_deadLetterHistory[1].first <= nowUs - MinuteUs)
        m_deadLetterHistory.pop_front();
    const quint64 before = m_deadLetterHistory.front().second;
    return count >= before ? double(count - before) : 0.0;
}

void AlertEvaluator::evaluate(qint64 nowUs, const PipelineSample &p)
{
    bool rateTaken = false;
    double perMinute = 0;
    for (int i = 0; i < m_rules.size(); ++i) {
        const AlertRule &r = m_rules.at(i);
        auto &map = m_instances[std::size_t(i)];
        switch (r.kind) {
        case AlertRule::Kind::Value:
            // isEmpty() first: QHash's non-const begin() allocates an empty table (128 buckets) and the loop then
            // walks every bucket — with 60 rules whose topics are fine that was most of an evaluation's cost.
            if (map.isEmpty())
                break;
            for (auto it = map.begin(); it != map.end(); ++it)
                if (it->state == Instance::State::Pending && nowUs - it->sinceUs >= seconds(r.forSec))
                    fire(i, it.key(), *it, it->value, nowUs);
            break;
        case AlertRule::Kind::Stale:
            if (map.isEmpty())
                break;
            for (auto it = map.begin(); it != map.end(); ++it) {
                const double quietSec = double(nowUs - it->lastSeenUs) / 1e6;
                const bool stale = quietSec > r.staleAfterSec;
                if (it->state != Instance::State::Firing)
                    step(i, it.key(), *it, stale, !stale, quietSec, nowUs);
            }
            break;
        default: {
            double value = 0;
            switch (r.kind) {
            case AlertRule::Kind::DbNotWriting: value = p.dbNotWritingSec; break;
            case AlertRule::Kind::Backlog: value = p.backlog; break;
            case AlertRule::Kind::SpoolPercent: value = p.spoolPercent; break;
            case AlertRule::Kind::DeadLettersPerMin:
                if (!rateTaken) {
                    perMinute = deadLettersPerMinute(nowUs, p.deadLettered);
                    rateTaken = true;
                }
                value = perMinute;
                break;
            default: break;
            }
            const bool violated = r.kind == AlertRule::Kind::DbNotWriting ? value >= r.limit : value > r.limit;
            if (Instance *in = instance(i, QString()))
                step(i, QString(), *in, violated, !violated, value, nowUs);
            break;
        }
        }
    }
}

std::vector<AlertEvent> AlertEvaluator::takeEvents()
{
    return std::exchange(m_events, {});
}

int AlertEvaluator::firingCount(int rule) const
{
    // Kept by fire() and resolve(): the snapshot asks for every rule several times a second, and walking each
    // rule's instances cost more than the whole feed (100 rules × their topics per snapshot).
    return m_firing[std::size_t(rule)];
}

QList<AlertEvent> AlertEvaluator::firing() const
{
    QList<AlertEvent> out;
    for (int i = 0; i < m_rules.size(); ++i) {
        const AlertRule &r = m_rules.at(i);
        const auto &map = m_instances[std::size_t(i)];
        for (auto it = map.begin(); it != map.end(); ++it)
            if (it->state == Instance::State::Firing)
                out.append({AlertEvent::Kind::Fired, i, r.name, it.key(), r.severity, r.summary, r.description,
                            it->value, it->startsAtUs, it->startsAtUs});
    }
    return out;
}

} // namespace iot
