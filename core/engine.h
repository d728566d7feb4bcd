// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"
#include "config/config.h"
#include "enginesnapshot.h"
#include "pipeline/batcher.h"
#include "pipeline/batchwriter.h"
#include "util/result.h"

#include <QObject>

#include <memory>

namespace iot {

/// The facade the app and the GUI use: composes the ingest thread (source + batcher) and the writer thread (batch
/// writer + sink), starts and stops them, and publishes an EngineSnapshot a few times a second. Lives on the main
/// thread; observers read snapshots and signals only, never the workers.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)
public:
    explicit Engine(const Config &config, QObject *parent = nullptr);
    ~Engine() override;

    /// Seams for tests and alternative transports; defaults build MqttClient and the sink named by the config.
    void setSourceFactory(Batcher::SourceFactory factory);
    void setSinkFactory(BatchWriter::SinkFactory factory);
    void setSnapshotIntervalMs(int ms);
    /// Sees every write transaction on the writer thread (metrics, traces, topic statistics). Add before start().
    void addObserver(std::shared_ptr<PipelineObserver> observer);

    /// Opens the spool (replaying what the database misses) and starts both threads. Fails when the spool cannot
    /// be opened (directory not writable, or in use by another instance).
    Status start();
    /// Graceful stop: stop reading, hand over what is open, commit everything (up to shutdown_timeout_sec), then
    /// emit stopped(). Messages that could not be committed by then are counted as dropped.
    void stop();
    void setPaused(bool paused);
    void reconnectMqtt();

    bool isRunning() const;
    const Config &config() const;
    EngineSnapshot snapshot() const;
    /// The [[alerts]] instances firing now (empty without rules).
    QList<AlertEvent> firingAlerts() const;

Q_SIGNALS:
    void snapshotUpdated(const iot::EngineSnapshot &snapshot);
    void mqttStateChanged(const iot::MessageSource::StateInfo &info);
    void databaseStateChanged(const iot::BatchWriter::StateInfo &info);
    void deadLettered(const QByteArray &topic, const QString &reason, qint64 receivedAtUs,
                      const QByteArray &payloadPreview);
    void errorOccurred(const QString &message);
    /// A problem no retry can fix (e.g. [[mappings]] that conflict with existing tables): the front end should
    /// report it and exit with code 2.
    void fatalError(const QString &message);
    void stopped(quint64 unwritten);
    /// An [[alerts]] rule fired or resolved (evaluated on the snapshot tick, at most every evaluate_interval_sec).
    void alertChanged(const iot::AlertEvent &event);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
