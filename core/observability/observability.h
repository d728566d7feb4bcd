// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "util/result.h"

#include <QObject>

#include <functional>
#include <memory>

namespace iot {

class Engine;

/// Metrics, health checks and traces of one Engine, as [observability] asks: /metrics, /healthz and /readyz on
/// prometheus_port, spans of batch writes and reconnects to trace_endpoint. Create it next to the Engine, before
/// the engine starts. Lives on the main thread; its transaction observer runs on the writer thread.
class Observability final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Observability)
public:
    explicit Observability(Engine &engine, QObject *parent = nullptr);
    /// Gives queued spans up to a second to reach the collector.
    ~Observability() override;

    /// Watches `engine` from now on instead of the previous one (the desktop's settings restart makes a new Engine);
    /// call it before that engine starts. `snapshot` gives the figures /metrics and the health checks report (the
    /// desktop's adds the counters of earlier engines, so Prometheus counters never go back); default: the engine's.
    /// The metrics port and the trace endpoint stay as they were at start (they change at the next program start).
    void follow(Engine &engine, std::function<EngineSnapshot()> snapshot = {});

    /// Opens the metrics port; fails when it cannot be bound. Nothing to do when prometheus_port is 0.
    Status start();
    /// The port /metrics is served on (0: off or not started).
    quint16 metricsPort() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
