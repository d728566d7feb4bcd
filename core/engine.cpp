// SPDX-License-Identifier: MIT
#include "engine.h"

#include "alerts/alertengine.h"
#include "alerts/alerthistory.h"
#include "config/transportsecurity.h"
#include "logging/log.h"
#include "mqtt/mqttclient.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"
#include "storage/postgressink.h"
#include "storage/sqlitesink.h"
#include "util/timeformat.h"

#include <QDeadlineTimer>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <climits>

namespace iot {
namespace {

constexpr int DefaultSnapshotMs = 250;
// If the ingest thread does not confirm its stop (say, blocked in a TCP connect), shutdown goes on without it.
constexpr int IngestStopTimeoutMs = 5000;
// The writer's own shutdown timer runs on its thread, which a database call can block; this long after
// shutdown_timeout_sec the main thread cuts that call and ends the run without it.
constexpr int ShutdownGraceMs = 2000;

} // namespace

struct Engine::Private
{
    Engine *q;
    Config config;
    Batcher::SourceFactory sourceFactory;
    BatchWriter::SinkFactory sinkFactory;
    std::vector<std::shared_ptr<PipelineObserver>> observers;
    std::unique_ptr<Spool> spool;
    PipelineCounters counters;
    BatchQueue queue;
    QThread ingestThread;
    QThread writerThread;
    Batcher *batcher = nullptr;
    BatchWriter *writer = nullptr;
    QTimer snapshotTimer;
    QTimer ingestStopTimer;
    QTimer shutdownDeadline;          // main thread: shutdown_timeout_sec + ShutdownGraceMs after stop()
    QDeadlineTimer commitDeadline;    // when the writer's own shutdown timeout ends
    int run = 0;                      // counts starts: a late signal of an earlier run's writer is ignored
    EngineSnapshot last;
    AlertEngine *alerts = nullptr;   // null without [[alerts]]
    bool running = false;
    bool stopping = false;
    bool writerFinishing = false;
    bool operatorPaused = false;
    int mqttConnects = 0;

    Result<std::uint64_t> openSpool();
    void connectWorkers();
    void takeSnapshot();
    void finishWriter();
    void onWriterFinished(quint64 unwritten, bool writerBlocked = false);
    void joinThreads();
};

Engine::Engine(const Config &config, QObject *parent) : QObject(parent), d(std::make_unique<Private>())
{
    qRegisterMetaType<EngineSnapshot>();
    d->q = this;
    d->config = config;
    d->ingestThread.setObjectName(QStringLiteral("ingest"));
    d->writerThread.setObjectName(QStringLiteral("writer"));
    const SubscriberConfig sub = config.subscriber;
    const MqttConfig mqtt = config.mqtt;
    d->sourceFactory = [mqtt, sub]() -> std::unique_ptr<MessageSource> {
        return std::make_unique<MqttClient>(mqtt, sub.mqttReconnDelaySec, sub.mqttReconnMaxDelaySec,
                                            sub.maxPayloadBytes);
    };
    const DatabaseConfig db = config.database;
    const QString clientId = MqttClient::clientIdFor(config.mqtt);
    const QList<MappingRule> mappings = config.mappings;
    // Called on the writer thread after start() opened the spool: the checkpoint row is the spool directory's.
    d->sinkFactory = [db, clientId, mappings, p = d.get()]() -> std::unique_ptr<SqlSink> {
        const QString name = QStringLiteral("iot-writer");
        CheckpointKey key;
        if (p->spool) {
            key.spoolId = QString::fromLatin1(p->spool->id().id);
            // Only a spool from before spool ids may take over the row its client id had in the old table.
            if (p->spool->id().origin == SpoolId::Origin::Legacy)
                key.legacyClientId = clientId;
        }
        if (db.driver == DbDriver::Postgres)
            return std::make_unique<PostgresSink>(db, name, key, mappings);
        return std::make_unique<SqliteSink>(db, name, key, mappings);
    };
    if (!config.alerts.isEmpty()) {
        d->alerts = new AlertEngine(config.alerts, config.alerting, MqttClient::clientIdFor(config.mqtt), this);
        connect(d->alerts, &AlertEngine::alertChanged, this, &Engine::alertChanged);
        d->alerts->setHistoryPath(AlertHistory::pathFor(config));
    }
    d->snapshotTimer.setInterval(DefaultSnapshotMs);
    connect(&d->snapshotTimer, &QTimer::timeout, this, [this] { d->takeSnapshot(); });
    d->ingestStopTimer.setSingleShot(true);
    connect(&d->ingestStopTimer, &QTimer::timeout, this, [this] {
        log::get("engine")->warn("the MQTT side did not stop in time; committing what was handed over");
        d->finishWriter();
    });
    d->shutdownDeadline.setSingleShot(true);
    d->shutdownDeadline.setTimerType(Qt::PreciseTimer);  // a coarse timer may fire 5 % early
    connect(&d->shutdownDeadline, &QTimer::timeout, this, [this] {
        if (!d->stopping || !d->writer)
            return;
        log::get("engine")->error("shutdown: the database writer is still blocked {:.1f} s after the shutdown timeout; "
                                  "cutting its database connection and stopping without it",
                                  ShutdownGraceMs / 1000.0);
        d->writer->interrupt();
        d->onWriterFinished(0, true);
    });
}

Engine::~Engine()
{
    d->joinThreads();
}

void Engine::setSourceFactory(Batcher::SourceFactory factory)
{
    d->sourceFactory = std::move(factory);
}

void Engine::setSinkFactory(BatchWriter::SinkFactory factory)
{
    d->sinkFactory = std::move(factory);
}

void Engine::addObserver(std::shared_ptr<PipelineObserver> observer)
{
    d->observers.push_back(std::move(observer));
}

void Engine::setSnapshotIntervalMs(int ms)
{
    d->snapshotTimer.setInterval(ms);
}

const Config &Engine::config() const
{
    return d->config;
}

bool Engine::isRunning() const
{
    return d->running;
}

Status Engine::start()
{
    if (d->running)
        return Ok{};
    const Result<std::uint64_t> replayTo = d->openSpool();
    if (!replayTo)
        return replayTo.error();
    // At every start, not only the first: an operator who reads the log after a restart must see them too.
    for (const QString &w : TransportSecurity::warnings(d->config))
        log::get("engine")->warn("SECURITY: {}", w);
    d->running = true;
    ++d->run;
    d->last = EngineSnapshot{};
    d->last.startedAtUs = TimeFormat::nowUs();
    d->last.maxBuffered = static_cast<quint64>(d->config.subscriber.maxBufferedMessages);
    d->last.maxBufferedBytes = quint64(d->config.subscriber.maxBufferedMb) << 20;
    const SubscriberConfig &sub = d->config.subscriber;

    d->writer = new BatchWriter(d->sinkFactory, sub, &d->queue, &d->counters, d->spool.get(), replayTo.value());
    for (const auto &o : d->observers)
        d->writer->addObserver(o);
    d->writer->setMappings(d->config.mappings, d->config.unmatchedToDeadLetter);
    d->writer->moveToThread(&d->writerThread);
    BatchWriter *writer = d->writer;
    auto wake = [writer] { QMetaObject::invokeMethod(writer, &BatchWriter::drain, Qt::QueuedConnection); };
    const FlushPolicy flushPolicy(static_cast<std::size_t>(sub.batchSize), sub.flushIntervalSec);
    d->batcher = new Batcher(d->sourceFactory, flushPolicy,
                             Batcher::Limits{static_cast<std::size_t>(sub.maxBufferedMessages),
                                             std::size_t(sub.maxBufferedMb) << 20,
                                             BatchWriter::maxTransactionBytes(sub)},
                             &d->queue, &d->counters, wake,
                             d->spool.get(), d->config.spool.syncIntervalMs);
    if (d->alerts)
        d->batcher->setAlertFeed(d->alerts->feed(), PayloadCheck(static_cast<std::size_t>(sub.maxPayloadBytes)));
    d->batcher->moveToThread(&d->ingestThread);

    d->connectWorkers();
    d->writerThread.start();
    d->ingestThread.start();
    d->snapshotTimer.start();
    d->takeSnapshot();
    return Ok{};
}

Result<std::uint64_t> Engine::Private::openSpool()
{
    // Where the spool ends as it is opened: the writer replays what lies before it and after the checkpoint.
    if (spool)
        return spool->endPosition();
    const SpoolConfig &sp = config.spool;
    if (!sp.enabled)
        return std::uint64_t(0);
    Spool::Options options;
    options.dir = sp.dir;
    options.segmentBytes = std::uint64_t(sp.segmentMb) << 20;
    options.maxBytes = std::uint64_t(sp.maxMb) << 20;
    auto opened = Spool::open(options);
    if (!opened)
        return opened.error();
    spool = std::move(opened).value();
    const Spool::Recovery &r = spool->recovery();
    auto lg = log::get("engine");
    lg->info("spool {} (id {}): {} segments, {} records on disk, positions {}..{}", spool->directory(),
             spool->id().id.constData(), r.segments, r.records, r.startPosition, r.endPosition);
    if (spool->id().origin == SpoolId::Origin::Damaged)
        lg->error("spool {}: SPOOL_ID was damaged (kept as SPOOL_ID.damaged); new id {}: the database's checkpoint "
                  "of the old id is not used, everything the spool holds is replayed (rows already committed may "
                  "be stored twice)",
                  spool->directory(), spool->id().id.constData());
    else if (spool->id().origin == SpoolId::Origin::Legacy)
        lg->warn("spool {} holds records but no SPOOL_ID (written by a version before spool ids): new id {}; it may "
                 "take over the checkpoint row of its client id once",
                 spool->directory(), spool->id().id.constData());
    for (const QString &p : r.problems)
        lg->error("spool damage found at start-up (skipped, the rest is replayed): {}", p);
    counters.spoolDamagedBytes.store(r.damagedBytes, std::memory_order_relaxed);
    return r.endPosition;
}

void Engine::Private::connectWorkers()
{
    QObject::connect(&writerThread, &QThread::started, writer, &BatchWriter::start);
    QObject::connect(&writerThread, &QThread::finished, writer, &QObject::deleteLater);
    QObject::connect(&ingestThread, &QThread::started, batcher, &Batcher::start);
    QObject::connect(&ingestThread, &QThread::finished, batcher, &QObject::deleteLater);

    QObject::connect(writer, &BatchWriter::committed, batcher, &Batcher::checkBuffer);
    QObject::connect(writer, &BatchWriter::stateChanged, q, [this](const BatchWriter::StateInfo &info) {
        last.db = info;
        Q_EMIT q->databaseStateChanged(info);
    });
    QObject::connect(writer, &BatchWriter::deadLettered, q, &Engine::deadLettered);
    QObject::connect(writer, &BatchWriter::fatalError, q, &Engine::fatalError);
    QObject::connect(writer, &BatchWriter::finished, q, [this, r = run](quint64 unwritten) {
        if (r == run && writer)
            onWriterFinished(unwritten);
    });
    QObject::connect(batcher, &Batcher::sourceStateChanged, q, [this](const MessageSource::StateInfo &info) {
        last.mqtt = info;
        if (info.state == MessageSource::State::Connected && mqttConnects++ > 0)
            counters.mqttReconnects.fetch_add(1, std::memory_order_relaxed);
        Q_EMIT q->mqttStateChanged(info);
        // The source gave up (a TLS file or certificate that no retry can fix): fatal, as the writer's Failed.
        if (info.state == MessageSource::State::Failed)
            Q_EMIT q->fatalError(QStringLiteral("MQTT: ") + info.detail());
    });
    QObject::connect(batcher, &Batcher::sourceError, q, &Engine::errorOccurred);
    QObject::connect(batcher, &Batcher::stopped, q, [this] {
        ingestStopTimer.stop();
        finishWriter();
    });
}

void Engine::stop()
{
    if (!d->running || d->stopping)
        return;
    d->stopping = true;
    log::get("engine")->info("stopping: no more reading; committing {} buffered messages", d->counters.inFlight());
    QMetaObject::invokeMethod(d->batcher, &Batcher::stop, Qt::QueuedConnection);
    d->ingestStopTimer.start(IngestStopTimeoutMs);
    const auto timeoutMs = static_cast<qint64>(d->config.subscriber.shutdownTimeoutSec * 1000.0);
    d->commitDeadline.setRemainingTime(timeoutMs);
    d->shutdownDeadline.start(std::chrono::milliseconds(timeoutMs + ShutdownGraceMs));
}

void Engine::Private::finishWriter()
{
    if (writerFinishing)
        return;
    writerFinishing = true;
    // The time left of shutdown_timeout_sec since stop(), however long the MQTT side took to stop.
    const qint64 left = stopping ? commitDeadline.remainingTime()
                                 : static_cast<qint64>(config.subscriber.shutdownTimeoutSec * 1000.0);
    const int timeoutMs = static_cast<int>(std::clamp<qint64>(left, 1, INT_MAX));
    QMetaObject::invokeMethod(writer, [w = writer, timeoutMs] { w->finish(timeoutMs); }, Qt::QueuedConnection);
}

void Engine::Private::onWriterFinished(quint64 unwritten, bool writerBlocked)
{
    shutdownDeadline.stop();
    if (writerBlocked) {
        // Interrupted, the writer returns from its database call to an event loop that quits; then nothing counts
        // any more, and what is in flight is what it could not write.
        joinThreads();
        unwritten = counters.inFlight();
    }
    if (unwritten > 0 && spool) {
        log::get("engine")->warn("{} messages were not committed before the shutdown timeout; they stay in the "
                                 "spool and are written at the next start",
                                 unwritten);
        unwritten = 0;
    } else if (unwritten > 0) {
        // Counted, never silent: without a spool these are the only messages the engine ever gives up on.
        counters.drop(Reasons::Drop::ShutdownTimeout, unwritten);
        log::get("engine")->error("{} messages were not committed before the shutdown timeout and are dropped",
                                  unwritten);
    }
    joinThreads();
    if (spool)
        spool->sync();
    takeSnapshot();
    snapshotTimer.stop();
    // Let go of the spool (and its directory lock): a restarted engine, here or in a new Engine with a new
    // configuration, opens it again and replays what was not committed.
    spool.reset();
    running = false;
    stopping = false;
    writerFinishing = false;
    log::get("engine")->info("stopped: {}", last.balanceText());
    Q_EMIT q->stopped(unwritten);
}

void Engine::Private::joinThreads()
{
    for (QThread *t : {&ingestThread, &writerThread}) {
        t->quit();
        if (!t->wait(10000)) {
            log::get("engine")->error("thread {} did not finish; terminating it", t->objectName());
            t->terminate();
            t->wait();
        }
    }
    batcher = nullptr;
    writer = nullptr;
}

void Engine::setPaused(bool paused)
{
    d->operatorPaused = paused;
    if (d->batcher)
        QMetaObject::invokeMethod(d->batcher, [b = d->batcher, paused] { b->setPaused(paused); },
                                  Qt::QueuedConnection);
}

void Engine::reconnectMqtt()
{
    if (d->batcher)
        QMetaObject::invokeMethod(d->batcher, &Batcher::reconnectNow, Qt::QueuedConnection);
}

QList<AlertEvent> Engine::firingAlerts() const
{
    return d->alerts ? d->alerts->firing() : QList<AlertEvent>{};
}

EngineSnapshot Engine::snapshot() const
{
    return d->last;
}

void Engine::Private::takeSnapshot()
{
    EngineSnapshot s = last;
    const auto rel = std::memory_order_relaxed;
    s.takenAtUs = TimeFormat::nowUs();
    for (std::size_t i = 0; i < CounterCount; ++i)
        s[Counter(i)] = counters[Counter(i)].load(rel);
    s.spoolEnabled = spool != nullptr;
    s.spoolBytes = spool ? spool->bytesInUse() : 0;
    s.spoolMaxBytes = spool ? spool->maxBytes() : 0;
    s.spoolState = spool ? counters.spoolState.load(rel) : SpoolState::Ok;
    for (std::size_t i = 0; i < Reasons::DeadLetterCount; ++i)
        s.deadLetteredBy[i] = counters.deadLetteredBy[i].load(rel);
    for (std::size_t i = 0; i < Reasons::DropCount; ++i)
        s.droppedBy[i] = counters.droppedBy[i].load(rel);
    s.inFlight = counters.inFlight();
    s.queued = queue.messages();
    // The open batch (ingest thread, at most batch_size messages) is left out: reading it would cost a store per
    // message.
    s.bufferedBytes = queue.inMemoryBytes() + counters.writerHeldBytes.load(rel);
    s.readingPaused = counters.readingPaused.load(rel);
    s.operatorPaused = operatorPaused;
    s.lastCommitUs = counters.lastCommitUs.load(rel);
    s.lastCommitLatencyUs = counters.lastCommitLatencyUs.load(rel);
    s.ingestHeartbeatUs = counters.ingestHeartbeatUs.load(rel);
    s.writerHeartbeatUs = counters.writerHeartbeatUs.load(rel);
    if (last.takenAtUs > 0 && s.takenAtUs > last.takenAtUs) {
        const double dt = (s.takenAtUs - last.takenAtUs) / 1e6;
        // Smoothed over about a second so the numbers are readable at a 4 Hz refresh.
        const double a = std::min(1.0, dt);
        s.receivedPerSec = (1 - a) * last.receivedPerSec + a * ((s.received - last.received) / dt);
        s.writtenPerSec = (1 - a) * last.writtenPerSec + a * ((s.written - last.written) / dt);
    }
    if (alerts) {
        alerts->evaluate(s);
        alerts->fill(s);
    }
    last = s;
    Q_EMIT q->snapshotUpdated(s);
}

} // namespace iot
