// SPDX-License-Identifier: MIT
#include "observability/tracespan.h"

#include <QRandomGenerator>

namespace iot {
namespace {

// W3C trace context forbids all-zero ids; the global generator is seeded from the system and thread-safe.
QByteArray randomId(int bytes)
{
    QByteArray id(bytes, Qt::Uninitialized);
    do {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(id.data()), bytes / 4);
    } while (id.count('\0') == bytes);
    return id;
}

} // namespace

TraceSpan TraceSpan::root(QString name, Kind kind, std::int64_t startUs, std::int64_t endUs)
{
    TraceSpan span;
    span.traceId = randomId(16);
    span.spanId = randomId(8);
    span.name = std::move(name);
    span.kind = kind;
    span.startNs = startUs * 1000;
    span.endNs = endUs * 1000;
    return span;
}

} // namespace iot
