// SPDX-License-Identifier: MIT
#include "enginehost.h"

#include "observability/commitlatency.h"
#include "config/secrets.h"
#include "history/storedtopics.h"
#include "logging/log.h"
#include "logging/logging.h"
#include "observability/topicstats.h"
#include "util/timeformat.h"

#include <QThread>
#include <QTimer>

namespace iot {

EngineHost::EngineHost(Engine &initial, Factory factory, QObject *parent)
    : QObject(parent),
      m_factory(std::move(factory)),
      m_topics(std::make_shared<TopicStats>()),
      m_latency(std::make_shared<CommitLatency>())
{
    if (!m_factory)
        m_factory = [](const Config &config) { return std::make_unique<Engine>(config); };
    m_initial = &initial;
    prepare(&initial);
    connectTo(&initial);
}

EngineHost::~EngineHost()
{
    // The stored-topics query runs on a connection of its own with the database's connect and reply timeouts, so it
    // ends; wait for it rather than let it log into a logger that static destruction is tearing down.
    if (m_storedLoader && !m_storedLoader->wait(StoredLoaderWaitMs))
        log::get("app")->warn("topic tree: the stored-topics query still runs at exit; left to the process's end");
}

void EngineHost::prepare(Engine *engine)
{
    engine->addObserver(m_topics);
    engine->addObserver(m_latency);
    engine->setSnapshotIntervalMs(SnapshotIntervalMs);
    if (engine != m_initial)
        Q_EMIT engineCreated(engine);
}

void EngineHost::connectTo(Engine *engine)
{
    m_engine = engine;
    connect(engine, &Engine::snapshotUpdated, this,
            [this](const EngineSnapshot &s) { Q_EMIT snapshotUpdated(withTotals(s)); });
    connect(engine, &Engine::mqttStateChanged, this, &EngineHost::mqttStateChanged);
    connect(engine, &Engine::databaseStateChanged, this, &EngineHost::databaseStateChanged);
    connect(engine, &Engine::deadLettered, this, &EngineHost::deadLettered);
    connect(engine, &Engine::errorOccurred, this, &EngineHost::errorOccurred);
    connect(engine, &Engine::fatalError, this, &EngineHost::fatalError);
    connect(engine, &Engine::alertChanged, this, &EngineHost::alertChanged);
    connect(engine, &Engine::stopped, this, &EngineHost::onStopped);
}

Status EngineHost::start()
{
    if (m_launchedAtUs == 0) {
        m_launchedAtUs = TimeFormat::nowUs();
        loadStoredTopics();
    }
    const Status st = m_engine->start();
    if (!st) {
        log::get("app")->error("cannot start ingesting: {}", st.error().message);
        Q_EMIT errorOccurred(QStringLiteral("Cannot start ingesting: ") + st.error().message);
        return st;
    }
    // The engine applies a pause only once its ingest side exists, that is after start().
    if (m_paused)
        m_engine->setPaused(true);
    return st;
}

void EngineHost::loadStoredTopics()
{
    // The topic tree from the database before live data arrives (a rebooted lab PC shows its sensors at once): one
    // aggregate query over the last day on a connection of its own, off the GUI thread; TopicStats takes it on
    // any thread. No table yet (a first start) is simply nothing to show.
    constexpr std::int64_t DayUs = 24LL * 3600 * 1000000;
    QThread *loader = QThread::create([config = m_engine->config(), topics = m_topics, since = m_launchedAtUs - DayUs] {
        auto loaded = StoredTopics::load(config, since);
        if (!loaded) {
            log::get("app")->info("topic tree: no stored topics read ({})", loaded.error().message);
            return;
        }
        topics->seedStored(loaded.value());
        log::get("app")->info("topic tree: {} topics from the database", loaded.value().size());
    });
    loader->setObjectName(QStringLiteral("stored-topics"));
    connect(loader, &QThread::finished, loader, &QObject::deleteLater);
    m_storedLoader = loader;
    loader->start(QThread::LowPriority);
}

void EngineHost::stop()
{
    m_quitting = true;
    if (m_restarting || m_state == State::TurningOff)
        return;   // onStopped() finishes instead of starting the next engine / going off
    if (m_engine->isRunning())
        m_engine->stop();
    else
        QTimer::singleShot(0, this, [this] { Q_EMIT finished(0); });
}

void EngineHost::turnOff()
{
    if (m_state != State::On || m_quitting || m_restarting)
        return;
    m_state = State::TurningOff;
    log::get("app")->info("local engine turned off by the operator; committing what is buffered first");
    Q_EMIT stateChanged(m_state);
    if (m_engine->isRunning())
        m_engine->stop();
    else
        QTimer::singleShot(0, this, [this] { onStopped(0); });
}

Status EngineHost::turnOn()
{
    if (m_state != State::Off || m_quitting)
        return Ok{};
    // A new engine, as a settings restart makes one: a stopped engine is not started again.
    const Config current = config();
    Engine *const old = m_engine;
    disconnect(old, nullptr, this, nullptr);
    m_owned.reset();
    m_owned = m_factory(current);
    prepare(m_owned.get());
    connectTo(m_owned.get());
    const Status st = start();
    if (!st) {
        // Stays off; the engine that did not start is replaced at the next attempt.
        log::get("app")->warn("local engine stays off: {}", st.error().message);
        return st;
    }
    m_state = State::On;
    log::get("app")->info("local engine turned on by the operator");
    Q_EMIT stateChanged(m_state);
    return st;
}

void EngineHost::restart(const Config &config)
{
    if (m_quitting || m_state != State::On)
        return;
    m_nextConfig = config;
    // The old secrets may still turn up in the old engine's last messages.
    Logging::setSecrets(Secrets::of(this->config()) + Secrets::of(config));
    if (m_restarting)
        return;   // the newest config wins
    m_restarting = true;
    log::get("app")->info("restarting the engine with the new configuration; committing what is buffered first");
    if (m_engine->isRunning())
        m_engine->stop();
    else
        QTimer::singleShot(0, this, [this] { onStopped(0); });
}

void EngineHost::onStopped(quint64 unwritten)
{
    if (m_state == State::TurningOff) {
        // Its counters become the totals; while off, snapshot() is those totals.
        m_base = withTotals(m_engine->snapshot());
        m_base.inFlight = 0;
        m_state = State::Off;
        if (m_quitting) {
            Q_EMIT finished(unwritten);
            return;
        }
        log::get("app")->info("local engine off; {} messages could not be committed", unwritten);
        Q_EMIT stateChanged(m_state);
        Q_EMIT turnedOff(unwritten);
        return;
    }
    if (!m_restarting) {
        Q_EMIT finished(unwritten);
        return;
    }
    m_baseBefore = m_base;
    m_base = withTotals(m_engine->snapshot());
    m_base.inFlight = 0;
    Q_EMIT restarting(unwritten);
    if (m_quitting) {
        m_restarting = false;
        Q_EMIT finished(unwritten);
        return;
    }
    // We are inside the old engine's stopped() emission: replace it from the event loop, not from here.
    QTimer::singleShot(0, this, &EngineHost::switchEngine);
}

void EngineHost::switchEngine()
{
    m_restarting = false;
    if (m_quitting) {
        Q_EMIT finished(0);
        return;
    }
    Engine *const old = m_engine;
    const bool oldIsInitial = old == m_initial;
    const Config previous = old->config();
    disconnect(old, nullptr, this, nullptr);
    // A stopped engine has released its spool (and the directory lock), so the next one can open the same
    // directory; an engine we own is deleted first all the same.
    m_owned.reset();
    m_owned = m_factory(m_nextConfig);
    prepare(m_owned.get());
    connectTo(m_owned.get());
    if (const Status st = start(); !st) {
        const QString reason = st.error().message;
        disconnect(m_owned.get(), nullptr, this, nullptr);
        m_owned.reset();
        if (oldIsInitial) {
            // The same engine again: its counters went on, so the totals must not count them twice.
            m_base = m_baseBefore;
            connectTo(m_initial);
        } else {
            m_owned = m_factory(previous);
            prepare(m_owned.get());
            connectTo(m_owned.get());
        }
        (void)start();
        Q_EMIT restartFailed(reason);
        return;
    }
    ++m_restarts;
    Q_EMIT restarted(m_nextConfig);
}

void EngineHost::setPaused(bool paused)
{
    m_paused = paused;
    m_engine->setPaused(paused);
}

void EngineHost::reconnectMqtt()
{
    m_engine->reconnectMqtt();
}

bool EngineHost::isRunning() const
{
    return m_engine->isRunning() || m_restarting;
}

const Config &EngineHost::config() const
{
    return m_engine->config();
}

EngineSnapshot EngineHost::snapshot() const
{
    if (m_state == State::Off)
        return m_base;   // the stopped engine's counters are in it already
    return withTotals(m_engine->snapshot());
}

EngineSnapshot EngineHost::withTotals(const EngineSnapshot &s) const
{
    EngineSnapshot t = s;
    // Prometheus counters among them: they must not go back at a restart.
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (CounterTable[i].sumsOverRestarts())
            t[Counter(i)] += m_base[Counter(i)];
    for (std::size_t i = 0; i < t.deadLetteredBy.size(); ++i)
        t.deadLetteredBy[i] += m_base.deadLetteredBy[i];
    for (std::size_t i = 0; i < t.droppedBy.size(); ++i)
        t.droppedBy[i] += m_base.droppedBy[i];
    if (m_base.lastCommitUs > t.lastCommitUs) {
        t.lastCommitUs = m_base.lastCommitUs;
        t.lastCommitLatencyUs = m_base.lastCommitLatencyUs;
    }
    return t;
}

} // namespace iot
