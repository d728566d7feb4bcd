// SPDX-License-Identifier: MIT
#pragma once

#include "observability/tracespan.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <memory>

namespace iot {

class SpanQueue;

/// Exports finished spans as OTLP/HTTP JSON: every couple of seconds or as soon as a batch is full, one POST at a
/// time; a collector that is slow or gone costs dropped spans (counted) and one warning a minute, never a wait.
/// Lives on the main thread (its QNetworkAccessManager); record() may be called from any thread.
class Tracer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Tracer)
public:
    struct Stats
    {
        std::uint64_t exported = 0;   // spans the collector accepted
        std::uint64_t dropped = 0;    // spans given up on: queue overflow or a failed export
        std::uint64_t failures = 0;   // failed export requests
    };

    Tracer(const QUrl &endpoint, const QString &serviceName, QObject *parent = nullptr);
    ~Tracer() override;

    void setFlushIntervalMs(int ms);
    void setWarningIntervalMs(int ms);
    /// The thread-safe buffer that record() fills; observers on other threads may keep it beyond the Tracer.
    std::shared_ptr<SpanQueue> queue() const;

    /// Thread-safe.
    void record(TraceSpan span);
    /// Posts one batch unless a request is still running. Main thread.
    void flush();
    /// Sends what is queued and waits for the answers, at most `timeoutMs`: for the spans of a shutdown.
    void flushAndWait(int timeoutMs);
    /// Main thread.
    Stats stats() const;

Q_SIGNALS:
    void exportFinished(bool ok, int spans);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
