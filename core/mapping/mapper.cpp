// SPDX-License-Identifier: MIT
#include "mapping/mapper.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace iot {
namespace {

using Type = ColumnMapping::Type;
using Source = ColumnMapping::Source;
using Enc = ColumnMapping::TimeEncoding;

constexpr std::size_t MaxCachedTopics = 100000;

QString jsonText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String: return QLatin1Char('"') + v.toString() + QLatin1Char('"');
    case QJsonValue::Double: return QString::number(v.toDouble(), 'g', 17);
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Object: return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Array: return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("(missing)");
}

QByteArray compactJson(const QJsonValue &v)
{
    if (v.isObject())
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    if (v.isArray())
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    // A scalar: serialise through a one-element array and strip the brackets.
    const QByteArray wrapped = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

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

std::int64_t epochToUs(double v, Enc enc)
{
    if (enc == Enc::Auto) {
        // Magnitude tells the unit for any date between 1973 and 5138: seconds < 1e11 ≤ ms < 1e14 ≤ µs.
        const double a = std::fabs(v);
        enc = a < 1e11 ? Enc::EpochSeconds : a < 1e14 ? Enc::EpochMillis : Enc::EpochMicros;
    }
    const double scale = enc == Enc::EpochSeconds ? 1e6 : enc == Enc::EpochMillis ? 1e3 : 1.0;
    return std::llround(v * scale);
}

struct Converter
{
    MappedRows &out;
    QString error;

    void text(QByteArrayView bytes, MappedValue::Kind kind)
    {
        MappedValue v;
        v.kind = kind;
        v.i = static_cast<std::int64_t>(out.arena.size());
        v.size = static_cast<std::uint32_t>(bytes.size());
        out.arena.append(bytes.data(), static_cast<std::size_t>(bytes.size()));
        out.values.push_back(v);
    }
    void integer(MappedValue::Kind kind, std::int64_t i)
    {
        MappedValue v;
        v.kind = kind;
        v.i = i;
        out.values.push_back(v);
    }
    void real(double d) { out.values.push_back(MappedValue::ofReal(d)); }
    void null() { out.values.push_back(MappedValue{}); }

    bool fail(const ColumnMapping &c, const QString &why)
    {
        error = QStringLiteral("column %1 (%2): %3")
                    .arg(c.name, c.source == Source::JsonPointer ? c.path : QStringLiteral("source"), why);
        return false;
    }

    // A value from JSON.
    bool fromJson(const ColumnMapping &c, const QJsonValue &v)
    {
        if (v.isUndefined() || v.isNull()) {
            if (c.required)
                return fail(c, v.isNull() ? QStringLiteral("is null") : QStringLiteral("is missing"));
            null();
            return true;
        }
        switch (c.type) {
        case Type::Integer: {
            // Whole numbers of the payload are exact up to the full 64 bits (Qt keeps them as integers); a number
            // written as a fraction or exponent must be a whole number a double holds exactly (|n| <= 2^53).
            constexpr qint64 None = std::numeric_limits<qint64>::min();
            const qint64 exact = v.isDouble() ? v.toInteger(None) : None;
            const double d = v.toDouble();
            if (exact == None && !(v.isDouble() && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0))
                return fail(c, QStringLiteral("expected an integer, got ") + jsonText(v));
            integer(MappedValue::Kind::Integer, exact != None ? exact : static_cast<std::int64_t>(d));
            return true;
        }
        case Type::Double:
            if (!v.isDouble())
                return fail(c, QStringLiteral("expected a number, got ") + jsonText(v));
            real(v.toDouble());
            return true;
        case Type::Boolean:
            if (!v.isBool())
                return fail(c, QStringLiteral("expected true or false, got ") + jsonText(v));
            integer(MappedValue::Kind::Boolean, v.toBool() ? 1 : 0);
            return true;
        case Type::Text:
            text(v.isString() ? v.toString().toUtf8() : compactJson(v), MappedValue::Kind::Text);
            return true;
        case Type::Jsonb:
            text(compactJson(v), MappedValue::Kind::Json);
            return true;
        case Type::Timestamptz: {
            std::int64_t us = 0;
            if (v.isString() && c.time != Enc::EpochSeconds && c.time != Enc::EpochMillis && c.time != Enc::EpochMicros) {
                const QByteArray s = v.toString().toUtf8();
                if (!Mapper::parseIso8601(s, us))
                    return fail(c, QStringLiteral("expected an ISO-8601 time, got ") + jsonText(v));
            } else if (v.isDouble() && c.time != Enc::Iso8601) {
                us = epochToUs(v.toDouble(), c.time);
            } else {
                return fail(c, QStringLiteral("expected a time (%1), got ").arg(c.time == Enc::Iso8601
                                   ? QStringLiteral("ISO-8601 text") : QStringLiteral("epoch number")) + jsonText(v));
            }
            integer(MappedValue::Kind::Timestamp, us);
            return true;
        }
        }
        return fail(c, QStringLiteral("unsupported type"));
    }

    // A value from text (topic, topic segment): converted to numbers when the column wants one.
    bool fromText(const ColumnMapping &c, QByteArrayView s)
    {
        switch (c.type) {
        case Type::Text:
            text(s, MappedValue::Kind::Text);
            return true;
        case Type::Integer: {
            std::int64_t i = 0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), i);
            if (r.ec != std::errc() || r.ptr != s.data() + s.size())
                return fail(c, QStringLiteral("expected an integer, got \"%1\"").arg(QString::fromUtf8(s)));
            integer(MappedValue::Kind::Integer, i);
            return true;
        }
        case Type::Double: {
            double d = 0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
            if (r.ec != std::errc() || r.ptr != s.data() + s.size())
                return fail(c, QStringLiteral("expected a number, got \"%1\"").arg(QString::fromUtf8(s)));
            real(d);
            return true;
        }
        case Type::Boolean:
            if (s == "true" || s == "false") {
                integer(MappedValue::Kind::Boolean, s == "true");
                return true;
            }
            return fail(c, QStringLiteral("expected true or false, got \"%1\"").arg(QString::fromUtf8(s)));
        case Type::Jsonb: {
            const QByteArray quoted = QJsonDocument(QJsonArray{QString::fromUtf8(s)}).toJson(QJsonDocument::Compact);
            text(QByteArrayView(quoted).sliced(1, quoted.size() - 2), MappedValue::Kind::Json);
            return true;
        }
        case Type::Timestamptz: {
            std::int64_t us = 0;
            if (!Mapper::parseIso8601(s, us))
                return fail(c, QStringLiteral("expected an ISO-8601 time, got \"%1\"").arg(QString::fromUtf8(s)));
            integer(MappedValue::Kind::Timestamp, us);
            return true;
        }
        }
        return fail(c, QStringLiteral("unsupported type"));
    }
};

constexpr double MaxExactInteger = 9007199254740992.0;   // 2^53: beyond it a JSON number is not exact in a double

bool hasBackslash(QByteArrayView s)
{
    return std::memchr(s.data(), '\\', std::size_t(s.size())) != nullptr;
}

template <typename T>
bool parseWhole(QByteArrayView s, T &value)
{
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The fast path's conversion of a value's raw JSON text (empty: missing). False when it cannot produce exactly what
// Converter::fromJson would from the parsed value — including every error, whose message the reference path writes.
bool fastJson(const ColumnMapping &c, QByteArrayView raw, Converter &conv)
{
    if (raw.isEmpty() || raw == "null") {
        if (c.required)
            return false;
        conv.null();
        return true;
    }
    const bool isString = raw[0] == '"';
    const bool isNumber = raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9');
    const QByteArrayView inner = isString ? raw.sliced(1, raw.size() - 2) : QByteArrayView();
    switch (c.type) {
    case Type::Integer: {
        if (!isNumber)
            return false;
        std::int64_t i = 0;
        if (parseWhole(raw, i)) {
            conv.integer(MappedValue::Kind::Integer, i);
            return true;
        }
        double d = 0;
        if (!parseWhole(raw, d) || d != std::trunc(d) || std::fabs(d) > MaxExactInteger)
            return false;
        conv.integer(MappedValue::Kind::Integer, static_cast<std::int64_t>(d));
        return true;
    }
    case Type::Double: {
        // Qt's parser keeps whole numbers as integers, so "-0", "-0.0" and "-0e5" come out as 0, not -0.0.
        double d = 0;
        if (!isNumber || !parseWhole(raw, d))
            return false;
        conv.real(d == 0 ? 0.0 : d);
        return true;
    }
    case Type::Boolean:
        if (raw != "true" && raw != "false")
            return false;
        conv.integer(MappedValue::Kind::Boolean, raw == "true");
        return true;
    case Type::Text:
        if (!isString || hasBackslash(inner))
            return false;
        conv.text(inner, MappedValue::Kind::Text);
        return true;
    case Type::Jsonb:
        // Only what Qt's compact serialisation writes back unchanged: plain ASCII strings and true/false.
        if (raw == "true" || raw == "false") {
            conv.text(raw, MappedValue::Kind::Json);
            return true;
        }
        if (!isString || !std::all_of(inner.begin(), inner.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f && ch != '\\'; }))
            return false;
        conv.text(raw, MappedValue::Kind::Json);
        return true;
    case Type::Timestamptz: {
        std::int64_t us = 0;
        if (isString) {
            if (c.time == Enc::EpochSeconds || c.time == Enc::EpochMillis || c.time == Enc::EpochMicros
                || hasBackslash(inner) || !Mapper::parseIso8601(inner, us))
                return false;
        } else {
            double d = 0;
            if (!isNumber || c.time == Enc::Iso8601 || !parseWhole(raw, d))
                return false;
            us = epochToUs(d, c.time);
        }
        conv.integer(MappedValue::Kind::Timestamp, us);
        return true;
    }
    }
    return false;
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
    if (m_cache.size() >= MaxCachedTopics)
        m_cache.clear();  // topic churn: start over rather than grow without bound
    m_cache.emplace(std::string(key), found);
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
    Converter conv{rows, {}};
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
                    && fastJson(c, r == JsonPointer::Result::Found ? raw : QByteArrayView(), conv);
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
            error = conv.error;
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

bool Mapper::parseIso8601(QByteArrayView text, std::int64_t &epochUs)
{
    const QString s = QString::fromUtf8(text).trimmed();
    QDateTime dt = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!dt.isValid())
        return false;
    // No zone given: UTC, not the host's local time (sensors rarely know our time zone).
    if (dt.timeSpec() == Qt::LocalTime)
        dt.setTimeZone(QTimeZone::utc());
    // QDateTime keeps milliseconds; recover microseconds from a fraction with more digits.
    std::int64_t us = dt.toMSecsSinceEpoch() * 1000;
    const qsizetype dot = s.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        qsizetype e = dot + 1;
        while (e < s.size() && s[e].isDigit())
            ++e;
        const QString frac = s.mid(dot + 1, e - dot - 1);
        if (frac.size() > 3)
            us += frac.left(6).leftJustified(6, QLatin1Char('0')).mid(3).toLongLong();
    }
    epochUs = us;
    return true;
}

} // namespace iot
