// SPDX-License-Identifier: MIT
// [[alerts]] and [alerting] of the configuration: each rule's kind is given by the keys it has (a condition, a
// staleness limit, or one pipeline key), and exactly one kind per rule.
#include "config/configloader.h"
#include "config/configsections.h"
#include "config/secrets.h"

#include <QSet>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace iot::configsections {

namespace {

using namespace std::string_view_literals;

constexpr std::array RuleKeys{"name"sv, "topic"sv, "field"sv, "above"sv, "below"sv, "outside"sv, "equals"sv,
    "for_sec"sv, "hysteresis"sv, "stale_after_sec"sv, "db_not_writing_sec"sv, "backlog_above"sv,
    "dead_letters_per_min_above"sv, "spool_percent_above"sv, "severity"sv, "summary"sv, "description"sv};
constexpr std::array AlertingKeys{"alertmanager_url"sv, "resend_interval_sec"sv, "evaluate_interval_sec"sv,
    "max_topics_per_rule"sv};

struct PipelineKey
{
    std::string_view key;
    AlertRule::Kind kind;
    double max;
    const char *expectation;
};
constexpr std::array PipelineKeys{
    PipelineKey{"db_not_writing_sec"sv, AlertRule::Kind::DbNotWriting, 86400, "a positive number of seconds"},
    PipelineKey{"backlog_above"sv, AlertRule::Kind::Backlog, 1e12, "a positive number of messages"},
    PipelineKey{"dead_letters_per_min_above"sv, AlertRule::Kind::DeadLettersPerMin, 1e12,
                "a number of dead letters per minute >= 0"},
    PipelineKey{"spool_percent_above"sv, AlertRule::Kind::SpoolPercent, 100, "a percentage from 0 to 100"},
};
constexpr std::array ConditionKeys{"above"sv, "below"sv, "outside"sv, "equals"sv};

// A field that is not a JSON pointer names a column of a [[mappings]] rule: the alert reads the same pointer.
// Only columns that come from the payload can be read before the row is written.
QString resolveField(const QString &field, const QList<MappingRule> &mappings, QString &problem)
{
    if (field.startsWith(u'/'))
        return field;
    for (const MappingRule &m : mappings) {
        for (const ColumnMapping &c : m.columns) {
            if (c.name != field)
                continue;
            if (c.source == ColumnMapping::Source::JsonPointer)
                return c.path;
            if (c.source == ColumnMapping::Source::Value)
                return QString();
            problem = QStringLiteral("column %1 of mapping %2 does not come from the payload").arg(field, m.name);
            return {};
        }
    }
    problem = QStringLiteral("expected a JSON pointer (\"/temp\") or a column of a [[mappings]] rule, got ")
        + TomlReader::quote(field);
    return {};
}

void readCondition(TomlReader &reader, const toml::table &t, const QString &key, AlertRule &rule)
{
    const auto any = QStringLiteral("a number");
    if (auto v = reader.number(t, key, "above", -1e300, false, 1e300, any)) {
        rule.condition = AlertRule::Condition::Above;
        rule.threshold = *v;
    } else if (auto v = reader.number(t, key, "below", -1e300, false, 1e300, any)) {
        rule.condition = AlertRule::Condition::Below;
        rule.threshold = *v;
    } else if (auto v = reader.number(t, key, "equals", -1e300, false, 1e300, any)) {
        rule.condition = AlertRule::Condition::Equals;
        rule.threshold = *v;
    } else if (const toml::node *node = t.get("outside")) {
        rule.condition = AlertRule::Condition::Outside;
        const auto *array = node->as_array();
        // Plain doubles with a flag: std::optional here trips GCC 12's -Wmaybe-uninitialized (CI builds -Werror).
        const auto number = [](const toml::node *n, double &out) {
            if (const auto *i = n ? n->as_integer() : nullptr)
                out = double(i->get());
            else if (const auto *f = n ? n->as_floating_point() : nullptr)
                out = f->get();
            else
                return false;
            return true;
        };
        double low = 0;
        double high = 0;
        const bool ok = array && array->size() == 2 && number(array->get(0), low) && number(array->get(1), high);
        if (!ok || !std::isfinite(low) || !std::isfinite(high) || low >= high)
            reader.failExpected(*node, key + QStringLiteral(".outside"), QStringLiteral("[low, high] with low < high"));
        else {
            rule.low = low;
            rule.high = high;
        }
    }
}

void readRule(TomlReader &reader, const toml::table &t, const QString &key, const QList<MappingRule> &mappings,
              AlertRule &rule)
{
    reader.rejectUnknownKeys(t, key, RuleKeys);
    if (auto v = reader.string(t, key, "name", true))
        rule.name = *v;
    else if (!t.contains("name"))
        reader.fail(t.source(), key, QStringLiteral("missing key \"name\""));

    // The kind: exactly one of a condition, stale_after_sec, or a pipeline key.
    QList<std::string_view> kinds;
    for (std::string_view k : ConditionKeys)
        if (t.contains(k))
            kinds << k;
    if (t.contains("stale_after_sec"))
        kinds << "stale_after_sec"sv;
    for (const PipelineKey &p : PipelineKeys)
        if (t.contains(p.key))
            kinds << p.key;
    if (kinds.isEmpty()) {
        reader.fail(t.source(), key,
                    QStringLiteral("a rule needs one of above, below, outside, equals (with topic and field), "
                                   "stale_after_sec (with topic), db_not_writing_sec, backlog_above, "
                                   "dead_letters_per_min_above or spool_percent_above"));
        return;
    }
    if (kinds.size() > 1) {
        const std::string_view second = kinds.at(1);
        reader.fail(t.get(second)->source(), TomlReader::keyPath(key, second),
                    QStringLiteral("one condition per rule (%1 is given already)")
                        .arg(QLatin1String(kinds.at(0).data(), qsizetype(kinds.at(0).size()))));
        return;
    }
    const std::string_view kind = kinds.constFirst();
    const bool conditionRule = std::find(ConditionKeys.begin(), ConditionKeys.end(), kind) != ConditionKeys.end();
    const bool needsTopic = conditionRule || kind == "stale_after_sec"sv;

    if (auto v = reader.string(t, key, "topic", true)) {
        const QString problem = ConfigLoader::topicFilterProblem(*v);
        if (!problem.isEmpty())
            reader.fail(t.get("topic")->source(), key + QStringLiteral(".topic"),
                        QStringLiteral("invalid topic filter ") + TomlReader::quote(*v) + QStringLiteral(": ")
                            + problem);
        else if (!needsTopic)
            reader.fail(t.get("topic")->source(), key + QStringLiteral(".topic"),
                        QStringLiteral("a pipeline rule has no topic"));
        rule.topic = *v;
    } else if (needsTopic && !t.contains("topic")) {
        reader.fail(t.source(), key, QStringLiteral("missing key \"topic\""));
    }

    if (conditionRule) {
        rule.kind = AlertRule::Kind::Value;
        if (auto v = reader.string(t, key, "field", true)) {
            rule.field = *v;
            QString problem;
            rule.pointer = resolveField(*v, mappings, problem);
            if (!problem.isEmpty())
                reader.fail(t.get("field")->source(), key + QStringLiteral(".field"), problem);
        } else if (!t.contains("field")) {
            reader.fail(t.source(), key, QStringLiteral("missing key \"field\" (a JSON pointer such as \"/temp\")"));
        }
        readCondition(reader, t, key, rule);
        if (auto v = reader.number(t, key, "hysteresis", 0, false, 1e300, QStringLiteral("a number >= 0")))
            rule.hysteresis = *v;
        if (rule.condition == AlertRule::Condition::Outside && rule.hysteresis * 2 >= rule.high - rule.low
            && t.contains("hysteresis") && rule.high > rule.low)
            reader.fail(t.get("hysteresis")->source(), key + QStringLiteral(".hysteresis"),
                        QStringLiteral("must be less than half of the range high - low"));
    } else {
        for (std::string_view k : {"field"sv, "hysteresis"sv})
            if (const toml::node *n = t.get(k))
                reader.fail(n->source(), TomlReader::keyPath(key, k),
                            QStringLiteral("only a rule with above, below, outside or equals has this key"));
    }
    if (kind == "stale_after_sec"sv) {
        rule.kind = AlertRule::Kind::Stale;
        if (auto v = reader.number(t, key, "stale_after_sec", 0, true, 86400 * 365,
                                   QStringLiteral("a positive number of seconds")))
            rule.staleAfterSec = *v;
    }
    for (const PipelineKey &p : PipelineKeys) {
        if (kind != p.key)
            continue;
        rule.kind = p.kind;
        const bool strict = p.kind == AlertRule::Kind::DbNotWriting || p.kind == AlertRule::Kind::Backlog;
        if (auto v = reader.number(t, key, p.key, 0, strict, p.max, QString::fromLatin1(p.expectation)))
            rule.limit = *v;
    }
    if (auto v = reader.number(t, key, "for_sec", 0, false, 86400,
                               QStringLiteral("a number of seconds from 0 to 86400")))
        rule.forSec = *v;
    if (auto v = reader.string(t, key, "severity", true))
        rule.severity = *v;
    if (auto v = reader.string(t, key, "summary"))
        rule.summary = *v;
    if (auto v = reader.string(t, key, "description"))
        rule.description = *v;
}

void readAlerting(TomlReader &reader, const toml::table &t, AlertingConfig &a)
{
    const QString section = QStringLiteral("alerting");
    reader.rejectUnknownKeys(t, section, AlertingKeys);
    if (const auto v = reader.string(t, section, "alertmanager_url")) {
        if (v->isEmpty() || v->startsWith(QStringLiteral("http://"), Qt::CaseInsensitive)
            || v->startsWith(QStringLiteral("https://"), Qt::CaseInsensitive))
            a.alertmanagerUrl = *v;
        else
            reader.failExpected(*t.get("alertmanager_url"), QStringLiteral("alerting.alertmanager_url"),
                                QStringLiteral("an http:// or https:// URL (or \"\" for none)"));
    }
    if (auto v = reader.number(t, section, "resend_interval_sec", 0, true, 86400,
                               QStringLiteral("a positive number of seconds (at most 86400)")))
        a.resendIntervalSec = *v;
    if (auto v = reader.number(t, section, "evaluate_interval_sec", 0.05, false, 60,
                               QStringLiteral("a number of seconds from 0.05 to 60")))
        a.evaluateIntervalSec = *v;
    if (auto v = reader.integer(t, section, "max_topics_per_rule", 1, 10'000'000,
                                QStringLiteral("an integer from 1 to 10000000")))
        a.maxTopicsPerRule = int(*v);
}

} // namespace

void readAlerts(TomlReader &reader, const toml::table &root, const QList<MappingRule> &mappings, Config &config)
{
    if (const toml::table *t = reader.table(root, QString(), "alerting"))
        readAlerting(reader, *t, config.alerting);
    const toml::node *node = root.get("alerts");
    if (!node)
        return;
    const toml::array *rules = node->as_array();
    if (!rules) {
        reader.failExpected(*node, QStringLiteral("alerts"), QStringLiteral("[[alerts]] tables"));
        return;
    }
    QSet<QString> names;
    for (std::size_t i = 0; i < rules->size(); ++i) {
        const QString key = QStringLiteral("alerts[%1]").arg(i);
        const toml::table *t = rules->get(i)->as_table();
        if (!t) {
            reader.failExpected(*rules->get(i), key, QStringLiteral("a table ([[alerts]])"));
            continue;
        }
        AlertRule rule;
        readRule(reader, *t, key, mappings, rule);
        if (!rule.name.isEmpty() && names.contains(rule.name))
            reader.fail(t->get("name")->source(), key + QStringLiteral(".name"),
                        QStringLiteral("another alert is named %1 already").arg(TomlReader::quote(rule.name)));
        names.insert(rule.name);
        config.alerts << rule;
    }
}

QString alertsToml(const Config &config, bool maskSecrets)
{
    QString out;
    const AlertingConfig &a = config.alerting;
    const auto number = [](double v) { return TomlReader::formatNumber(v); };
    if (!config.alerts.isEmpty() || !(a == AlertingConfig{})) {
        out += QStringLiteral("\n[alerting]\nalertmanager_url = ")
            + TomlReader::quote(maskSecrets ? Secrets::maskUrl(a.alertmanagerUrl) : a.alertmanagerUrl)
            + QStringLiteral("\nresend_interval_sec = ") + number(a.resendIntervalSec)
            + QStringLiteral("\nevaluate_interval_sec = ") + number(a.evaluateIntervalSec)
            + QStringLiteral("\nmax_topics_per_rule = ") + QString::number(a.maxTopicsPerRule) + u'\n';
    }
    for (const AlertRule &r : config.alerts) {
        out += QStringLiteral("\n[[alerts]]\nname = ") + TomlReader::quote(r.name) + u'\n';
        if (!r.topic.isEmpty())
            out += QStringLiteral("topic = ") + TomlReader::quote(r.topic) + u'\n';
        switch (r.kind) {
        case AlertRule::Kind::Value: {
            out += QStringLiteral("field = ") + TomlReader::quote(r.field) + u'\n';
            switch (r.condition) {
            case AlertRule::Condition::Above: out += QStringLiteral("above = ") + number(r.threshold); break;
            case AlertRule::Condition::Below: out += QStringLiteral("below = ") + number(r.threshold); break;
            case AlertRule::Condition::Equals: out += QStringLiteral("equals = ") + number(r.threshold); break;
            case AlertRule::Condition::Outside:
                out += QStringLiteral("outside = [") + number(r.low) + QStringLiteral(", ") + number(r.high) + u']';
                break;
            }
            out += QStringLiteral("\nhysteresis = ") + number(r.hysteresis) + u'\n';
            break;
        }
        case AlertRule::Kind::Stale:
            out += QStringLiteral("stale_after_sec = ") + number(r.staleAfterSec) + u'\n';
            break;
        default:
            for (const PipelineKey &p : PipelineKeys)
                if (p.kind == r.kind)
                    out += QLatin1String(p.key.data(), qsizetype(p.key.size())) + QStringLiteral(" = ")
                        + number(r.limit) + u'\n';
            break;
        }
        out += QStringLiteral("for_sec = ") + number(r.forSec) + QStringLiteral("\nseverity = ")
            + TomlReader::quote(r.severity) + u'\n';
        if (!r.summary.isEmpty())
            out += QStringLiteral("summary = ") + TomlReader::quote(r.summary) + u'\n';
        if (!r.description.isEmpty())
            out += QStringLiteral("description = ") + TomlReader::quote(r.description) + u'\n';
    }
    return out;
}

} // namespace iot::configsections
