// SPDX-License-Identifier: MIT
#pragma once

#include "observability/tracespan.h"

#include <QByteArray>
#include <QString>

#include <span>

namespace iot {

/// Encodes spans as an OTLP/HTTP JSON ExportTraceServiceRequest (opentelemetry-proto's JSON mapping: hex ids,
/// lowerCamelCase fields, enums as integers, 64-bit integers as decimal strings). Pure; any thread.
class OtlpJsonEncoder final
{
public:
    OtlpJsonEncoder(QString serviceName, QString serviceVersion);

    /// One resourceSpans entry (our service) with one scopeSpans entry holding `spans`.
    QByteArray encode(std::span<const TraceSpan> spans) const;

    static constexpr const char *ContentType = "application/json";

private:
    QString m_serviceName;
    QString m_serviceVersion;
};

} // namespace iot
