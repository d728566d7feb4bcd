// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "pipeline/pipelineobserver.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>

namespace iot {

/// The Prometheus metrics of the subscriber (prefix iot_subscriber_) in a prometheus-cpp registry, kept behind a
/// pimpl. Counters and gauges mirror EngineSnapshots (main thread, at scrape time); histograms are fed per write
/// transaction by observe() on the writer thread; prometheus-cpp's metrics are thread-safe.
class Metrics final
{
public:
    explicit Metrics(const QString &version);
    ~Metrics();
    Metrics(const Metrics &) = delete;
    Metrics &operator=(const Metrics &) = delete;

    /// Counters only move forward: a snapshot with a lower value (there is none while the process lives) is ignored.
    void update(const EngineSnapshot &snapshot);
    void updateTracing(std::uint64_t exportedSpans, std::uint64_t droppedSpans, std::uint64_t failedExports);
    /// Batch size, write duration and per-row receive-to-commit latency; called on the writer thread.
    void observe(const TransactionReport &report);

    /// The text exposition format, version 0.0.4.
    QByteArray exposition() const;
    static constexpr const char *ContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    void registerCounters();   // the exported rows of CounterTable

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
