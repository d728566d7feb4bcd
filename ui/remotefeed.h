// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "observability/commitlatency.h"
#include "observability/statusapi.h"
#include "observability/topicstats.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QTimer>

class QNetworkAccessManager;
class QNetworkReply;

namespace iot {

class RemoteInstance;

/// Turns one remote instance's status API (docs/api.md) into what the window's panels eat: its status polls into
/// EngineSnapshots, /topics?since= into a TopicStats mirrored here, /dead-letters?after= and /events?after= into
/// signals. Lists are asked about once a second and only when the status says they moved; GETs only; memory bounded
/// (TopicStats' bounds, one page per answer). When the instance stops answering the data stays, marked stale. Lives
/// on the GUI thread.
class RemoteFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteFeed)
public:
    static constexpr int ListPollIntervalMs = 1000;
    static constexpr int PageSize = 500;           // dead letters or events per answer
    static constexpr int RequestTimeoutMs = 2000;

    explicit RemoteFeed(RemoteInstance &instance, QObject *parent = nullptr);
    ~RemoteFeed() override;

    RemoteInstance &instance() const { return m_instance; }
    /// The latest status as a snapshot (default-constructed before the first answer).
    const EngineSnapshot &snapshot() const { return m_snapshot; }
    CommitLatency::Percentiles latency() const { return m_latency; }
    const TopicStats &topicStats() const { return m_topics; }
    /// How late a topic's reading may show up (the remote's flush interval + commit time); huge while its pipeline is
    /// not flowing, so that silence is not blamed on the sensors.
    qint64 graceUs() const;
    /// No current status: never answered, or silent for longer than RemoteInstance::UnreachableAfterMs.
    bool stale() const { return m_stale; }
    bool hasData() const { return m_snapshot.takenAtUs > 0; }
    /// When the data shown was current (the last status's time on this machine's clock), 0 before the first.
    qint64 dataAtUs() const { return m_dataAtUs; }
    QString instanceName() const { return m_name; }   // observability.service_name
    QString hostName() const { return m_host; }
    quint64 deadLettersSeen() const { return m_deadCursor; }
    quint64 eventsSeen() const { return m_eventCursor; }

    /// The snapshot a /api/v1/status object describes (unknown fields stay zero).
    static EngineSnapshot snapshotFromStatus(const QJsonObject &status);
    static CommitLatency::Percentiles latencyFromStatus(const QJsonObject &status);
    /// An API time ("2026-12-07T14:52:31.123456Z") in µs since the epoch; 0 for null or bad text.
    static qint64 parseTime(const QJsonValue &value);

Q_SIGNALS:
    void snapshotUpdated(const iot::EngineSnapshot &snapshot);
    void staleChanged(bool stale);
    /// New dead letters, oldest first.
    void deadLettered(const QByteArray &topic, const QString &reason, qint64 receivedAtUs);
    /// A step of the connection timeline: `source` "mqtt" / "database", `state` as in /status.
    void eventArrived(qint64 timeUs, const QString &source, const QString &state, const QString &detail);
    /// The instance was restarted (a new process: a new start time and its journals or topic versions started
    /// again); what it reports from now on is read from the start.
    void restarted();

private:
    enum class List { Topics, DeadLetters, Events, Count };
    void onInstanceUpdated();
    void pollLists();
    void request(List list, const QString &pathAndQuery);
    void answered(List list, QNetworkReply *reply);
    void takeTopics(const QJsonObject &o);
    void takeDeadLetters(const QJsonObject &o);
    void takeEvents(const QJsonObject &o);
    void setStale(bool stale);

    RemoteInstance &m_instance;
    QNetworkAccessManager *m_network = nullptr;
    QNetworkReply *m_pending[int(List::Count)] = {};
    QTimer m_listTimer;
    EngineSnapshot m_snapshot;
    CommitLatency::Percentiles m_latency;
    TopicStats m_topics{StatusApi::PayloadPreviewBytes};   // all the API shows of a payload
    QString m_name;
    QString m_host;
    qint64 m_dataAtUs = 0;
    double m_flushIntervalSec = 1.0;
    bool m_stale = true;
    // What the remote has (from its status) and how far this side has read.
    quint64 m_remoteTopicsVersion = 0;
    quint64 m_remoteLastDead = 0;
    quint64 m_remoteLastEvent = 0;
    quint64 m_topicsVersion = 0;
    quint64 m_deadCursor = 0;
    quint64 m_eventCursor = 0;
};

} // namespace iot
