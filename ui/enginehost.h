// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "engine.h"
#include "enginesnapshot.h"
#include "util/result.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace iot {

class CommitLatency;
class TopicStats;

/// Keeps the current Engine for the desktop and restarts it with a new Config without losing data: the old engine
/// stops (which commits everything it buffered), then a new one starts. Re-emits the engine's signals so the window
/// connects once, and adds up counters across restarts. The operator may also turn the engine off and on again
/// without quitting (turnOff() / turnOn(): states On → TurningOff → Off → On); only stop() ends the run
/// (finished()). Lives on the GUI thread; touches engines only through their public API.
class EngineHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineHost)
public:
    using Factory = std::function<std::unique_ptr<Engine>(const Config &)>;

    /// `initial` is not owned (main made it); `factory` builds the engines of later restarts (default: plain
    /// Engine). Observers for per-topic statistics and latency are added to every engine before it starts.
    explicit EngineHost(Engine &initial, Factory factory = {}, QObject *parent = nullptr);
    ~EngineHost() override;

    /// Starts the current engine; the error (spool not openable, ...) is also emitted as errorOccurred().
    Status start();
    /// Final stop: commits what is buffered, then emits finished().
    void stop();
    /// Stops the current engine (committing everything), then starts a new one with `config`.
    void restart(const Config &config);
    /// The operator turns the engine off without quitting: it stops exactly as at a quit (commits everything it
    /// buffered; what the database did not take stays in the spool), then the host is Off — no MQTT connection, no
    /// writer — and emits turnedOff(), never finished(). Ignored unless On (and not restarting or quitting).
    void turnOff();
    /// Starts a new engine with the current configuration (as a settings restart does); counters go on from their
    /// totals. The error (spool not openable, ...) is also emitted as errorOccurred(); the host stays Off then.
    Status turnOn();
    void setPaused(bool paused);
    void reconnectMqtt();

    enum class State { On, TurningOff, Off };
    Q_ENUM(State)
    State state() const { return m_state; }
    /// Turned off by the operator (not while it is still committing: that is TurningOff).
    bool isOff() const { return m_state == State::Off; }

    bool isRunning() const;
    bool isRestarting() const { return m_restarting; }
    bool isPaused() const { return m_paused; }
    const Config &config() const;
    /// The current engine's latest snapshot, with the counters of earlier engines (before restarts) added.
    EngineSnapshot snapshot() const;
    int restarts() const { return m_restarts; }
    qint64 launchedAtUs() const { return m_launchedAtUs; }
    TopicStats &topicStats() const { return *m_topics; }
    CommitLatency &commitLatency() const { return *m_latency; }
    /// The engine snapshots are requested at this interval (the window refreshes at most this often).
    static constexpr int SnapshotIntervalMs = 200;

Q_SIGNALS:
    void snapshotUpdated(const iot::EngineSnapshot &snapshot);
    void mqttStateChanged(const iot::MessageSource::StateInfo &info);
    void databaseStateChanged(const iot::BatchWriter::StateInfo &info);
    void deadLettered(const QByteArray &topic, const QString &reason, qint64 receivedAtUs);
    void errorOccurred(const QString &message);
    /// A problem no retry can fix (Engine::fatalError): the writer has stopped; the program should end with code 2.
    void fatalError(const QString &message);
    /// An engine stopped for a restart; `unwritten` is what it could not commit (normally 0).
    void restarting(quint64 unwritten);
    void restarted(const iot::Config &config);
    /// A new engine (after a settings restart) exists and has not started yet: the moment to add observers to it.
    void engineCreated(iot::Engine *engine);
    /// The new configuration could not start; the previous one runs again.
    void restartFailed(const QString &reason);
    /// turnOff() or turnOn() moved the host to another State (turnedOff() follows once the engine has stopped).
    void stateChanged(iot::EngineHost::State state);
    /// The engine the operator turned off has stopped; `unwritten` is what it could not commit (kept in the spool when
    /// there is one; normally 0).
    void turnedOff(quint64 unwritten);
    void finished(quint64 unwritten);
    /// Engine::alertChanged of the running engine.
    void alertChanged(const iot::AlertEvent &event);

private:
    void loadStoredTopics();
    void prepare(Engine *engine);   // once per engine: observers and snapshot rate
    void connectTo(Engine *engine);
    void onStopped(quint64 unwritten);
    void switchEngine();
    EngineSnapshot withTotals(const EngineSnapshot &s) const;

    Factory m_factory;
    Engine *m_engine = nullptr;
    Engine *m_initial = nullptr;
    std::unique_ptr<Engine> m_owned;       // null while the initial engine runs
    std::shared_ptr<TopicStats> m_topics;
    QPointer<QThread> m_storedLoader;      // the stored-topics query (null once it has finished and gone)
    static constexpr unsigned long StoredLoaderWaitMs = 15000;
    std::shared_ptr<CommitLatency> m_latency;
    EngineSnapshot m_base;                 // totals of engines that have stopped
    EngineSnapshot m_baseBefore;           // m_base before the latest restart (a failed one reverts to it)
    Config m_nextConfig;
    qint64 m_launchedAtUs = 0;
    int m_restarts = 0;
    bool m_restarting = false;
    bool m_quitting = false;
    bool m_paused = false;
    State m_state = State::On;
};

} // namespace iot
