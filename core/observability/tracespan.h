// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <variant>
#include <vector>

namespace iot {

/// One finished span, ready for export: what happened, when, with which typed attributes. A plain value, built on
/// whichever thread saw the event (the writer for batch writes, the main thread for reconnects).
struct TraceSpan
{
    // OTLP's SpanKind and Status.code numbers, which the JSON encoding writes as integers.
    enum class Kind { Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5 };
    enum class Status { Unset = 0, Ok = 1, Error = 2 };
    using Value = std::variant<QString, std::int64_t, double, bool>;
    struct Attribute
    {
        QString key;
        Value value;
    };

    QByteArray traceId;      // 16 raw bytes, not all zero
    QByteArray spanId;       // 8 raw bytes, not all zero
    QByteArray parentSpanId; // empty: a root span
    QString name;
    Kind kind = Kind::Internal;
    std::int64_t startNs = 0;  // ns since the Unix epoch
    std::int64_t endNs = 0;
    std::vector<Attribute> attributes;
    Status status = Status::Unset;
    QString statusMessage;     // only sent with Status::Error

    /// A root span with fresh random ids; thread-safe.
    static TraceSpan root(QString name, Kind kind, std::int64_t startUs, std::int64_t endUs);
    TraceSpan &attribute(QString key, Value value)
    {
        attributes.push_back({std::move(key), std::move(value)});
        return *this;
    }
};

} // namespace iot
