// SPDX-License-Identifier: MIT
#include "mapping/valueconverter.h"

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

// What a timestamptz column takes, in microseconds since 1970: from PostgreSQL's first day (4714-11-24 BC) to the
// end of our 64-bit count (AD 294247; PostgreSQL's own end, 294276, lies beyond it). An epoch number outside is
// refused here with the reason rather than wrapped into a wrong year or refused by the server for the whole batch.
constexpr double MinEpochUs = -210866803200000000.0;
constexpr double EndEpochUs = 9223372036854775808.0;  // 2^63: the first value llround cannot return

bool epochToUs(double v, Enc enc, std::int64_t &us)
{
    if (enc == Enc::Auto) {
        // Magnitude tells the unit for any date between 1973 and 5138: seconds < 1e11 ≤ ms < 1e14 ≤ µs.
        const double a = std::fabs(v);
        enc = a < 1e11 ? Enc::EpochSeconds : a < 1e14 ? Enc::EpochMillis : Enc::EpochMicros;
    }
    const double scale = enc == Enc::EpochSeconds ? 1e6 : enc == Enc::EpochMillis ? 1e3 : 1.0;
    const double x = v * scale;
    if (!(x >= MinEpochUs && x < EndEpochUs))
        return false;
    us = std::llround(x);
    return true;
}

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

} // namespace

void ValueConverter::text(QByteArrayView bytes, MappedValue::Kind kind)
{
    MappedValue v;
    v.kind = kind;
    v.i = static_cast<std::int64_t>(m_out.arena.size());
    v.size = static_cast<std::uint32_t>(bytes.size());
    m_out.arena.append(bytes.data(), static_cast<std::size_t>(bytes.size()));
    m_out.values.push_back(v);
}

void ValueConverter::integer(MappedValue::Kind kind, std::int64_t i)
{
    MappedValue v;
    v.kind = kind;
    v.i = i;
    m_out.values.push_back(v);
}

void ValueConverter::real(double d)
{
    m_out.values.push_back(MappedValue::ofReal(d));
}

void ValueConverter::null()
{
    m_out.values.push_back(MappedValue{});
}

bool ValueConverter::fail(const ColumnMapping &c, const QString &why)
{
    m_error = QStringLiteral("column %1 (%2): %3")
                  .arg(c.name, c.source == Source::JsonPointer ? c.path : QStringLiteral("source"), why);
    return false;
}

bool ValueConverter::fromJson(const ColumnMapping &c, const QJsonValue &v)
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
        if (exact == None && !(v.isDouble() && d == std::trunc(d) && std::fabs(d) <= MaxExactInteger))
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
            if (!parseIso8601(s, us))
                return fail(c, QStringLiteral("expected an ISO-8601 time, got ") + jsonText(v));
        } else if (v.isDouble() && c.time != Enc::Iso8601) {
            if (!epochToUs(v.toDouble(), c.time, us))
                return fail(c, QStringLiteral("epoch time outside what timestamptz holds (4713 BC to AD 294247), got ")
                                   + jsonText(v));
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

bool ValueConverter::fromText(const ColumnMapping &c, QByteArrayView s)
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
        if (!parseIso8601(s, us))
            return fail(c, QStringLiteral("expected an ISO-8601 time, got \"%1\"").arg(QString::fromUtf8(s)));
        integer(MappedValue::Kind::Timestamp, us);
        return true;
    }
    }
    return fail(c, QStringLiteral("unsupported type"));
}

bool ValueConverter::fromRawJson(const ColumnMapping &c, QByteArrayView raw)
{
    if (raw.isEmpty() || raw == "null") {
        if (c.required)
            return false;
        null();
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
            integer(MappedValue::Kind::Integer, i);
            return true;
        }
        double d = 0;
        if (!parseWhole(raw, d) || d != std::trunc(d) || std::fabs(d) > MaxExactInteger)
            return false;
        integer(MappedValue::Kind::Integer, static_cast<std::int64_t>(d));
        return true;
    }
    case Type::Double: {
        // Qt's parser keeps whole numbers as integers, so "-0", "-0.0" and "-0e5" come out as 0, not -0.0.
        double d = 0;
        if (!isNumber || !parseWhole(raw, d))
            return false;
        real(d == 0 ? 0.0 : d);
        return true;
    }
    case Type::Boolean:
        if (raw != "true" && raw != "false")
            return false;
        integer(MappedValue::Kind::Boolean, raw == "true");
        return true;
    case Type::Text:
        if (!isString || hasBackslash(inner))
            return false;
        text(inner, MappedValue::Kind::Text);
        return true;
    case Type::Jsonb:
        // Only what Qt's compact serialisation writes back unchanged: plain ASCII strings and true/false.
        if (raw == "true" || raw == "false") {
            text(raw, MappedValue::Kind::Json);
            return true;
        }
        if (!isString || !std::all_of(inner.begin(), inner.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f && ch != '\\'; }))
            return false;
        text(raw, MappedValue::Kind::Json);
        return true;
    case Type::Timestamptz: {
        std::int64_t us = 0;
        if (isString) {
            if (c.time == Enc::EpochSeconds || c.time == Enc::EpochMillis || c.time == Enc::EpochMicros
                || hasBackslash(inner) || !parseIso8601(inner, us))
                return false;
        } else {
            double d = 0;
            if (!isNumber || c.time == Enc::Iso8601 || !parseWhole(raw, d) || !epochToUs(d, c.time, us))
                return false;
        }
        integer(MappedValue::Kind::Timestamp, us);
        return true;
    }
    }
    return false;
}

bool ValueConverter::parseIso8601(QByteArrayView text, std::int64_t &epochUs)
{
    QString s = QString::fromUtf8(text).trimmed();
    // QDateTime keeps milliseconds and rounds the fraction to them (".000900" became 1 ms, then 1.9 ms with the
    // microseconds added back): parse the whole seconds and add the fraction's microseconds ourselves.
    std::int64_t fractionUs = 0;
    if (const qsizetype dot = s.indexOf(QLatin1Char('.')); dot > 0) {
        qsizetype e = dot + 1;
        while (e < s.size() && s[e].isDigit())
            ++e;
        if (e == dot + 1)
            return false;
        fractionUs = s.mid(dot + 1, std::min<qsizetype>(e - dot - 1, 6)).leftJustified(6, QLatin1Char('0')).toLongLong();
        s.remove(dot, e - dot);
    }
    QDateTime dt = QDateTime::fromString(s, Qt::ISODate);
    if (!dt.isValid())
        return false;
    // No zone given: UTC, not the host's local time (sensors rarely know our time zone).
    if (dt.timeSpec() == Qt::LocalTime)
        dt.setTimeZone(QTimeZone::utc());
    epochUs = dt.toMSecsSinceEpoch() * 1000 + fractionUs;
    return true;
}

} // namespace iot
