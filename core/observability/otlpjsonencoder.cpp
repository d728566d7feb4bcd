// SPDX-License-Identifier: MIT
#include "observability/otlpjsonencoder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace iot {
namespace {

// The protobuf JSON mapping writes int64 as a string: a JSON number would lose precision above 2^53.
QString int64String(std::int64_t value)
{
    return QString::number(value);
}

QJsonObject anyValue(const TraceSpan::Value &value)
{
    return std::visit(
        [](const auto &v) -> QJsonObject {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, QString>)
                return {{QStringLiteral("stringValue"), v}};
            else if constexpr (std::is_same_v<T, std::int64_t>)
                return {{QStringLiteral("intValue"), int64String(v)}};
            else if constexpr (std::is_same_v<T, bool>)
                return {{QStringLiteral("boolValue"), v}};
            else if (std::isfinite(v))
                return {{QStringLiteral("doubleValue"), v}};
            else  // JSON has no NaN or infinity; the mapping spells them as strings
                return {{QStringLiteral("doubleValue"),
                         std::isnan(v) ? QStringLiteral("NaN")
                                       : v > 0 ? QStringLiteral("Infinity") : QStringLiteral("-Infinity")}};
        },
        value);
}

QJsonObject keyValue(const QString &key, const TraceSpan::Value &value)
{
    return {{QStringLiteral("key"), key}, {QStringLiteral("value"), anyValue(value)}};
}

QString hex(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

QJsonObject spanObject(const TraceSpan &span)
{
    QJsonObject o{
        {QStringLiteral("traceId"), hex(span.traceId)},
        {QStringLiteral("spanId"), hex(span.spanId)},
        {QStringLiteral("name"), span.name},
        {QStringLiteral("kind"), static_cast<int>(span.kind)},
        {QStringLiteral("startTimeUnixNano"), int64String(span.startNs)},
        {QStringLiteral("endTimeUnixNano"), int64String(span.endNs)},
    };
    if (!span.parentSpanId.isEmpty())
        o.insert(QStringLiteral("parentSpanId"), hex(span.parentSpanId));
    if (!span.attributes.empty()) {
        QJsonArray attributes;
        for (const TraceSpan::Attribute &a : span.attributes)
            attributes.append(keyValue(a.key, a.value));
        o.insert(QStringLiteral("attributes"), attributes);
    }
    if (span.status != TraceSpan::Status::Unset) {
        QJsonObject status{{QStringLiteral("code"), static_cast<int>(span.status)}};
        if (span.status == TraceSpan::Status::Error && !span.statusMessage.isEmpty())
            status.insert(QStringLiteral("message"), span.statusMessage);
        o.insert(QStringLiteral("status"), status);
    }
    return o;
}

} // namespace

OtlpJsonEncoder::OtlpJsonEncoder(QString serviceName, QString serviceVersion)
    : m_serviceName(std::move(serviceName)), m_serviceVersion(std::move(serviceVersion))
{
}

QByteArray OtlpJsonEncoder::encode(std::span<const TraceSpan> spans) const
{
    QJsonArray spanArray;
    for (const TraceSpan &span : spans)
        spanArray.append(spanObject(span));
    const QJsonObject resource{
        {QStringLiteral("attributes"),
         QJsonArray{keyValue(QStringLiteral("service.name"), m_serviceName),
                    keyValue(QStringLiteral("service.version"), m_serviceVersion)}},
    };
    const QJsonObject scope{{QStringLiteral("name"), QStringLiteral("iot-subscriber")},
                            {QStringLiteral("version"), m_serviceVersion}};
    const QJsonObject scopeSpans{{QStringLiteral("scope"), scope}, {QStringLiteral("spans"), spanArray}};
    const QJsonObject resourceSpans{{QStringLiteral("resource"), resource},
                                    {QStringLiteral("scopeSpans"), QJsonArray{scopeSpans}}};
    const QJsonObject request{{QStringLiteral("resourceSpans"), QJsonArray{resourceSpans}}};
    return QJsonDocument(request).toJson(QJsonDocument::Compact);
}

} // namespace iot
