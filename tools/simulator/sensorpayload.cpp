// SPDX-License-Identifier: MIT
#include "sensorpayload.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string_view>
#include <utility>

namespace iot {

namespace {

// snprintf's %f follows LC_NUMERIC, and QCoreApplication sets the locale from the environment: under de_DE it
// would write "21,53" and break the JSON. std::to_chars is locale-independent and faster.
class Writer
{
public:
    Writer(char *begin, char *end) : m_pos(begin), m_end(end) {}

    void text(std::string_view s)
    {
        const auto n = std::min<std::size_t>(s.size(), std::size_t(m_end - m_pos));
        std::memcpy(m_pos, s.data(), n);
        m_pos += n;
    }
    template <typename Int>
    void integer(Int value, int minDigits = 1)
    {
        std::array<char, 24> digits{};
        const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), value);
        const auto len = int(r.ptr - digits.data());
        for (int i = len; i < minDigits; ++i)
            text("0");
        text(std::string_view(digits.data(), std::size_t(len)));
    }
    void fixed(double value, int decimals)
    {
        const auto r = std::to_chars(m_pos, m_end, value, std::chars_format::fixed, decimals);
        if (r.ec == std::errc())
            m_pos = r.ptr;
    }
    std::size_t size(const char *begin) const { return std::size_t(m_pos - begin); }

private:
    char *m_pos;
    char *m_end;
};

constexpr int kSensorDigits = 3;
constexpr std::string_view kPadOpen = ",\"pad\":\"";
constexpr std::string_view kPadClose = "\"}";

} // namespace

SensorPayload::SensorPayload(PayloadOptions options) : m_options(std::move(options))
{
    m_options.sensors = std::max(1, m_options.sensors);
    m_options.rooms = std::max(1, m_options.rooms);
    m_options.payloadSize = std::max(0, m_options.payloadSize);
    m_topic.reserve(m_options.topicPrefix.size() + 48);
    m_payload.reserve(std::max(256, m_options.payloadSize + 1));
}

QByteArray SensorPayload::sensorName(int sensorIndex) const
{
    std::array<char, 32> buf{};
    Writer w(buf.data(), buf.data() + buf.size());
    w.text("s-");
    w.integer(sensorIndex + 1, kSensorDigits);
    return QByteArray(buf.data(), qsizetype(w.size(buf.data())));
}

QByteArray SensorPayload::roomName(int sensorIndex) const
{
    std::array<char, 32> buf{};
    Writer w(buf.data(), buf.data() + buf.size());
    w.text("lab-");
    w.integer(sensorIndex % m_options.rooms + 1);
    return QByteArray(buf.data(), qsizetype(w.size(buf.data())));
}

// Slow sine waves over the global seq, phase-shifted per sensor: each sensor's series is smooth and the sensors
// differ, which makes charts and aggregates in the demo look plausible.
double SensorPayload::temperature(quint64 seq, int sensorIndex) const
{
    constexpr double period = 3600.0;
    return 21.0 + 0.3 * (sensorIndex % 7)
           + 2.5 * std::sin(double(seq) * 2.0 * std::numbers::pi / period + sensorIndex * 0.9);
}

double SensorPayload::humidity(quint64 seq, int sensorIndex) const
{
    constexpr double period = 5400.0;
    return 45.0 + 0.8 * (sensorIndex % 5)
           + 7.5 * std::sin(double(seq) * 2.0 * std::numbers::pi / period + sensorIndex * 0.4);
}

void SensorPayload::buildTopic(int sensorIndex)
{
    std::array<char, 64> buf{};
    Writer w(buf.data(), buf.data() + buf.size());
    w.text("/lab-");
    w.integer(sensorIndex % m_options.rooms + 1);
    w.text("/s-");
    w.integer(sensorIndex + 1, kSensorDigits);
    const auto prefixLen = m_options.topicPrefix.size();
    m_topic.resize(prefixLen + qsizetype(w.size(buf.data())));
    std::memcpy(m_topic.data(), m_options.topicPrefix.constData(), std::size_t(prefixLen));
    std::memcpy(m_topic.data() + prefixLen, buf.data(), w.size(buf.data()));
}

void SensorPayload::build(quint64 seq, int sensorIndex, qint64 timestampMs)
{
    Q_ASSERT(sensorIndex >= 0);
    buildTopic(sensorIndex);

    std::array<char, 192> body{};
    Writer w(body.data(), body.data() + body.size());
    w.text("{\"sensor\":\"s-");
    w.integer(sensorIndex + 1, kSensorDigits);
    w.text("\",\"seq\":");
    w.integer(seq);
    w.text(",\"ts\":");
    w.integer(timestampMs);
    w.text(",\"temperature\":");
    w.fixed(temperature(seq, sensorIndex), 2);
    w.text(",\"humidity\":");
    w.fixed(humidity(seq, sensorIndex), 1);
    const auto bodyLen = w.size(body.data());

    const auto natural = bodyLen + 1;  // + "}"
    const auto target = std::max<std::size_t>(natural, std::size_t(m_options.payloadSize));
    m_payload.resize(qsizetype(target));
    char *out = m_payload.data();
    std::memcpy(out, body.data(), bodyLen);
    out += bodyLen;

    const auto extra = target - natural;
    const auto padOverhead = kPadOpen.size() + kPadClose.size() - 1;  // the "}" is part of natural
    if (extra >= padOverhead) {
        std::memcpy(out, kPadOpen.data(), kPadOpen.size());
        out += kPadOpen.size();
        const auto xs = extra - padOverhead;
        std::memset(out, 'x', xs);
        out += xs;
        std::memcpy(out, kPadClose.data(), kPadClose.size());
    } else {
        // Too little room for a pad field: JSON whitespace keeps the requested size exact.
        std::memset(out, ' ', extra);
        out[extra] = '}';
    }
}

void SensorPayload::buildInvalid(quint64 seq, int sensorIndex)
{
    Q_ASSERT(sensorIndex >= 0);
    buildTopic(sensorIndex);

    std::array<char, 96> body{};
    Writer w(body.data(), body.data() + body.size());
    w.text("{\"sensor\":\"s-");
    w.integer(sensorIndex + 1, kSensorDigits);
    w.text("\",\"seq\":");
    w.integer(seq);
    w.text(",");
    m_payload.resize(qsizetype(w.size(body.data())));
    std::memcpy(m_payload.data(), body.data(), w.size(body.data()));
}

} // namespace iot
