// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>

#include <functional>
#include <memory>

namespace iot {

class Engine;
class HttpEndpoint;

/// The read-only status API under /api/v1/ (docs/api.md): the engine snapshot, per-topic statistics (incremental by
/// version), recent dead letters and connection events, and a Server-Sent-Events stream of the engine's snapshots
/// (at most one per StreamIntervalMs). Built from what the engine keeps anyway (snapshots, signals, one observer per write
/// transaction), never per message. Lives on the main thread, next to the HttpEndpoint that serves it.
class StatusApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatusApi)
public:
    static constexpr int StreamIntervalMs = 250;     // 4 Hz at most
    static constexpr int MaxListLimit = 1000;        // dead letters and events per answer
    static constexpr int PayloadPreviewBytes = 64;   // of a topic's latest payload
    static constexpr const char *StreamPath = "/api/v1/stream";

    explicit StatusApi(QObject *parent = nullptr);
    ~StatusApi() override;

    /// Watches `engine` (before it starts) from now on; `snapshot` gives the figures (the desktop adds earlier
    /// engines' counters). Topic statistics, latencies and the journals carry over from the previous engine.
    void follow(Engine &engine, std::function<EngineSnapshot()> snapshot);
    /// Adds the routes to `http`; the stream follows the engine's snapshots from then on.
    void serve(HttpEndpoint &http);

    /// The key of a CounterTable row in /status: "deadLettered" -> "dead_lettered" (a client reads them back with it).
    static QString counterKey(std::size_t counter);
    /// The body of /api/v1/status (without `config` for the stream), for tests and the stream.
    QJsonObject status(bool withConfig) const;

private:
    void tick();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
