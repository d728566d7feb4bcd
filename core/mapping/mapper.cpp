// SPDX-License-Identifier: MIT
#include "mapping/mapper.h"

#include "mapping/valueconverter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace iot {
namespace {

using Type = ColumnMapping::Type;
using Source = ColumnMapping::Source;

constexpr std::size_t MaxCachedTopics = 100000;
// The cache is bounded in bytes too (100,000 topics of MQTT's 64 KiB would be 6.5 GiB): a topic longer than
// MaxCachedTopicLength is matched every time, never cached, and the cache starts over at MaxCachedTopicBytes.
constexpr std::size_t MaxCachedTopicLength = 1024;
constexpr std::size_t MaxCachedTopicBytes = 16 << 20;

// RFC 6901: "/a/b~1c/0" → a → "b/c" → index 0.
QJsonValue resolve(const QJsonValue &root, const QString &pointer)
{
    QJsonValue cur = root;
    if (pointer.isEmpty())
        return cur;
    const QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
    for (QString t : tokens) {
        t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
        if (cur.isObject()) {
            const QJsonObject o = cur.toObject();
            const auto it = o.constFind(t);
            if (it == o.constEnd())
                return QJsonValue(QJsonValue::Undefined);
            cur = it.value();
        } else if (cur.isArray()) {
            bool ok = false;
            const int idx = t.toInt(&ok);
            const QJsonArray a = cur.toArray();
            if (!ok || idx < 0 || idx >= a.size() || (t.size() > 1 && t.startsWith(QLatin1Char('0'))))
                return QJsonValue(QJsonValue::Undefined);
            cur = a.at(idx);
        } else {
            return QJsonValue(QJsonValue::Undefined);
        }
    }
    return cur;
}

} // namespace

Mapper::Mapper(QList<MappingRule> rules, bool unmatchedToDeadLetter)
    : m_rules(std::move(rules)), m_unmatchedToDeadLetter(unmatchedToDeadLetter)
{
    for (const MappingRule &r : std::as_const(m_rules)) {
        CompiledRule c;
        for (const QString &p : r.topics) {
            Pattern pat;
            for (const QString &level : p.split(QLatin1Char('/'))) {
                if (level.startsWith(QLatin1Char('{')) && level.endsWith(QLatin1Char('}'))) {
                    const QString name = level.mid(1, level.size() - 2);
                    if (!c.segments.contains(name))
                        c.segments << name;
                    pat.levels << QByteArray();
                    pat.segmentSlot << int(c.segments.indexOf(name));
                } else {
                    pat.levels << level.toUtf8();
                    pat.segmentSlot << -1;
                }
            }
            c.patterns << pat;
        }
        for (qsizetype k = 0; k < r.columns.size(); ++k) {
            const ColumnMapping &col = r.columns[k];
            if (col.name == r.timeColumn)
                c.timeColumn = int(k);
            if (col.source == Source::ClockSkew)
                c.skewColumn = int(k);
            c.pointers.emplace_back(col.source == Source::JsonPointer ? QStringView(col.path) : QStringView());
            c.segmentOf.push_back(col.source == Source::TopicSegment ? int(c.segments.indexOf(col.path)) : -1);
        }
        m_compiled << c;
    }
}

std::pair<int, int> Mapper::match(QByteArrayView topic)
{
    const std::string_view key(topic.data(), std::size_t(topic.size()));
    if (const auto it = m_cache.find(key); it != m_cache.end())
        return it->second;
    std::pair<int, int> found{-1, -1};
    const QList<QByteArrayView> levels = [&] {
        QList<QByteArrayView> l;
        qsizetype start = 0;
        for (qsizetype i = 0; i <= topic.size(); ++i) {
            if (i == topic.size() || topic[i] == '/') {
                l << topic.sliced(start, i - start);
                start = i + 1;
            }
        }
        return l;
    }();
    for (qsizetype r = 0; r < m_compiled.size() && found.first < 0; ++r) {
        const auto &patterns = m_compiled[r].patterns;
        for (qsizetype p = 0; p < patterns.size(); ++p) {
            const Pattern &pat = patterns[p];
            bool ok = true;
            qsizetype i = 0;
            for (; i < pat.levels.size() && ok; ++i) {
                const QByteArray &lv = pat.levels[i];
                if (lv == "#") {
                    i = levels.size();
                    break;
                }
                if (i >= levels.size())
                    ok = false;
                else if (!lv.isEmpty() && lv != "+" && lv != levels[i])
                    ok = false;
            }
            // MQTT: wildcards never match a leading '$' (broker-internal topics).
            if (ok && i == levels.size() && !(topic.startsWith('$') && (pat.levels[0] == "+" || pat.levels[0] == "#"
                                                                       || pat.levels[0].isEmpty()))) {
                found = {int(r), int(p)};
                break;
            }
        }
    }
    if (key.size() > MaxCachedTopicLength) {
        ++m_uncachedMatches;
        return found;
    }
    if (m_cache.size() >= MaxCachedTopics || m_cacheBytes + key.size() > MaxCachedTopicBytes) {
        m_cache.clear();  // topic churn: start over rather than grow without bound
        m_cacheBytes = 0;
    }
    m_cache.emplace(std::string(key), found);
    m_cacheBytes += key.size();
    return found;
}

void Mapper::splitSegments(const CompiledRule &cr, int pattern, QByteArrayView topic)
{
    m_segments.assign(std::size_t(cr.segments.size()), QByteArrayView());
    const Pattern &pat = cr.patterns[pattern];
    qsizetype level = 0, start = 0;
    for (qsizetype i = 0; i <= topic.size(); ++i) {
        if (i == topic.size() || topic[i] == '/') {
            if (level < pat.segmentSlot.size() && pat.segmentSlot[level] >= 0)
                m_segments[std::size_t(pat.segmentSlot[level])] = topic.sliced(start, i - start);
            ++level;
            start = i + 1;
        }
    }
}

Mapper::Step Mapper::mapColumns(const CompiledRule &cr, const MappingRule &rule, QByteArrayView topic,
                                QByteArrayView payload, std::int64_t receivedAtUs, MappedRows &rows,
                                const QJsonValue *root, QString &error)
{
    ValueConverter conv(rows);
    for (qsizetype k = 0; k < rule.columns.size(); ++k) {
        const ColumnMapping &c = rule.columns[k];
        bool ok = true;
        switch (c.source) {
        case Source::JsonPointer:
        case Source::Value:
            if (root) {
                ok = conv.fromJson(c, c.source == Source::Value ? *root : resolve(*root, c.path));
            } else {
                QByteArrayView raw;
                const JsonPointer::Result r = cr.pointers[std::size_t(k)].resolve(payload, raw);
                ok = r != JsonPointer::Result::Unsure
                    && conv.fromRawJson(c, r == JsonPointer::Result::Found ? raw : QByteArrayView());
            }
            break;
        case Source::TopicSegment: ok = conv.fromText(c, m_segments[std::size_t(cr.segmentOf[std::size_t(k)])]); break;
        case Source::Topic: ok = conv.fromText(c, topic); break;
        case Source::ReceivedAt:
            if (c.type == Type::Timestamptz)
                conv.integer(MappedValue::Kind::Timestamp, receivedAtUs);
            else
                ok = conv.fail(c, QStringLiteral("received_at needs type timestamptz"));
            break;
        case Source::Payload:
            conv.text(payload, c.type == Type::Jsonb ? MappedValue::Kind::Json : MappedValue::Kind::Text);
            break;
        case Source::ClockSkew: conv.integer(MappedValue::Kind::Boolean, 0); break;  // set by map()
        }
        if (!ok) {
            // The fast path hands whatever it cannot map to the reference path, which also words the error.
            if (!root)
                return Step::Unsure;
            error = conv.error();
            return Step::Failed;
        }
    }
    return Step::Done;
}

Mapper::Step Mapper::mapReference(const CompiledRule &cr, const MappingRule &rule, QByteArrayView topic,
                                  QByteArrayView payload, std::int64_t receivedAtUs, MappedRows &rows, QString &error)
{
    // Parse once; wrapping in [ ] lets Qt take top-level scalars such as a plain 21.5.
    QByteArray wrapped;
    wrapped.reserve(payload.size() + 2);
    wrapped.append('[').append(payload.data(), payload.size()).append(']');
    QJsonParseError parsed;
    const QJsonValue root = QJsonDocument::fromJson(wrapped, &parsed).array().at(0);
    if (parsed.error != QJsonParseError::NoError) {
        // PayloadCheck accepted it, so it is valid JSON; Qt refuses numbers beyond a double's range (1e400, 1e-400).
        error = QStringLiteral("payload not mappable: %1 at byte %2 (numbers must fit a double)")
                    .arg(parsed.errorString())
                    .arg(std::max(0, parsed.offset - 1));
        return Step::Failed;
    }
    return mapColumns(cr, rule, topic, payload, receivedAtUs, rows, &root, error);
}

Mapper::Outcome Mapper::map(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs,
                            std::uint32_t sourceRow, std::vector<MappedRows> &out)
{
    Outcome o;
    const auto [ruleIndex, patternIndex] = match(topic);
    if (ruleIndex < 0) {
        if (m_unmatchedToDeadLetter) {
            o.kind = Outcome::Kind::Rejected;
            o.reason = QStringLiteral("unmatched: no [[mappings]] rule matches the topic");
        }
        return o;
    }
    const MappingRule &rule = m_rules[ruleIndex];
    const CompiledRule &cr = m_compiled[ruleIndex];
    MappedRows &rows = out[std::size_t(ruleIndex)];
    rows.columns = std::size_t(rule.columns.size());
    const std::size_t mark = rows.values.size();
    const std::size_t arenaMark = rows.arena.size();
    splitSegments(cr, patternIndex, topic);

    QString error;
    Step step = m_referenceOnly ? Step::Unsure
                                : mapColumns(cr, rule, topic, payload, receivedAtUs, rows, nullptr, error);
    if (step == Step::Unsure) {
        if (!m_referenceOnly)
            ++m_fallbacks;
        rows.values.resize(mark);
        rows.arena.resize(arenaMark);
        step = mapReference(cr, rule, topic, payload, receivedAtUs, rows, error);
    }
    bool ok = step == Step::Done;
    if (ok && rule.maxClockSkewSec > 0 && cr.timeColumn >= 0) {
        const MappedValue &t = rows.values[mark + std::size_t(cr.timeColumn)];
        if (t.kind == MappedValue::Kind::Timestamp) {
            const double skew = double(t.i - receivedAtUs) / 1e6;
            if (std::fabs(skew) > rule.maxClockSkewSec) {
                if (rule.skewToDeadLetter) {
                    ok = false;
                    error = QStringLiteral("clock skew: device time (%1) is %2 s %3 the receive time, limit %4 s")
                                .arg(rule.timeColumn)
                                .arg(std::fabs(skew), 0, 'f', 1)
                                .arg(skew > 0 ? QStringLiteral("ahead of") : QStringLiteral("behind"))
                                .arg(rule.maxClockSkewSec);
                } else {
                    o.skewed = true;
                    if (cr.skewColumn >= 0)
                        rows.values[mark + std::size_t(cr.skewColumn)].i = 1;
                }
            }
        }
    }
    if (!ok) {
        rows.values.resize(mark);
        rows.arena.resize(arenaMark);
        o.kind = Outcome::Kind::Rejected;
        o.rule = ruleIndex;
        o.reason = QStringLiteral("mapping %1: %2").arg(rule.name, error);
        return o;
    }
    rows.sourceRow.push_back(sourceRow);
    o.kind = Outcome::Kind::Mapped;
    o.rule = ruleIndex;
    return o;
}

} // namespace iot
