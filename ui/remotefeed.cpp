// SPDX-License-Identifier: MIT
#include "remotefeed.h"

#include "remoteinstance.h"
#include "util/timeformat.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <cmath>

namespace iot {
namespace {

/// The enum value whose lower-case key is `name` (the API's words, see statusapi.cpp); `fallback` when none is.
template<typename E>
E enumFromKey(const QString &name, E fallback)
{
    const QMetaEnum meta = QMetaEnum::fromType<E>();
    for (int i = 0; i < meta.keyCount(); ++i)
        if (name.compare(QLatin1String(meta.key(i)), Qt::CaseInsensitive) == 0)
            return E(meta.value(i));
    return fallback;
}

quint64 count(const QJsonObject &o, const QString &key)
{
    return quint64(std::max<qint64>(0, o.value(key).toInteger()));
}

qint64 msToUs(const QJsonValue &v)
{
    return qint64(std::llround(v.toDouble() * 1e3));
}

MessageSource::StateInfo mqttFrom(const QJsonObject &o)
{
    MessageSource::StateInfo m;
    m.state = enumFromKey(o.value(QStringLiteral("state")).toString(), MessageSource::State::Disconnected);
    m.sinceUs = RemoteFeed::parseTime(o.value(QStringLiteral("since")));
    m.endpoint = o.value(QStringLiteral("endpoint")).toString();
    m.attempt = o.value(QStringLiteral("attempt")).toInt();
    m.retryDelayUs = msToUs(o.value(QStringLiteral("retry_delay_ms")));
    m.cause = enumFromKey(o.value(QStringLiteral("cause")).toString(), MessageSource::Cause::None);
    m.message = o.value(QStringLiteral("message")).toString();
    m.sessionsTakenOver = o.value(QStringLiteral("sessions_taken_over")).toInt();
    m.takeoverConfirmed = o.value(QStringLiteral("takeover_confirmed")).toBool();
    return m;
}

BatchWriter::StateInfo databaseFrom(const QJsonObject &o)
{
    BatchWriter::StateInfo db;
    db.state = enumFromKey(o.value(QStringLiteral("state")).toString(), BatchWriter::State::Disconnected);
    db.sinceUs = RemoteFeed::parseTime(o.value(QStringLiteral("since")));
    db.target = o.value(QStringLiteral("target")).toString();
    db.attempt = o.value(QStringLiteral("attempt")).toInt();
    db.retryDelayUs = msToUs(o.value(QStringLiteral("retry_delay_ms")));
    db.cause = enumFromKey(o.value(QStringLiteral("cause")).toString(), BatchWriter::Cause::None);
    db.table = o.value(QStringLiteral("table")).toString();
    db.code = o.value(QStringLiteral("code")).toString();
    db.message = o.value(QStringLiteral("message")).toString();
    return db;
}

/// Payload bytes as the API put them: text, or base64 when `<key>_encoding` says so.
QByteArray payloadFrom(const QJsonObject &o, const QString &key)
{
    const QString text = o.value(key).toString();
    if (o.value(key + QStringLiteral("_encoding")).toString() == QLatin1String("base64"))
        return QByteArray::fromBase64(text.toLatin1());
    return text.toUtf8();
}

} // namespace

RemoteFeed::RemoteFeed(RemoteInstance &instance, QObject *parent)
    : QObject(parent), m_instance(instance), m_network(new QNetworkAccessManager(this))
{
    connect(&m_instance, &RemoteInstance::updated, this, &RemoteFeed::onInstanceUpdated);
    m_listTimer.setInterval(ListPollIntervalMs);
    connect(&m_listTimer, &QTimer::timeout, this, &RemoteFeed::pollLists);
    m_listTimer.start();
    onInstanceUpdated();
}

RemoteFeed::~RemoteFeed()
{
    for (QNetworkReply *reply : m_pending)
        if (reply)
            reply->abort();
}

qint64 RemoteFeed::graceUs() const
{
    const EngineSnapshot &s = m_snapshot;
    if (m_stale || s.mqtt.state != MessageSource::State::Connected || s.db.state != BatchWriter::State::Connected
        || s.operatorPaused || s.readingPaused)
        return qint64(1) << 50;
    return qint64(m_flushIntervalSec * 1e6) + 2000000;
}

qint64 RemoteFeed::parseTime(const QJsonValue &value)
{
    const QString text = value.toString();
    if (text.isEmpty())
        return 0;
    // Qt keeps milliseconds only; the API gives microseconds.
    const qsizetype dot = text.indexOf(QLatin1Char('.'));
    QString whole = text;
    qint64 fractionUs = 0;
    if (dot > 0) {
        qsizetype end = dot + 1;
        while (end < text.size() && text[end].isDigit())
            ++end;
        const QString digits = text.mid(dot + 1, end - dot - 1).left(6).leftJustified(6, QLatin1Char('0'));
        fractionUs = digits.toLongLong();
        whole = text.left(dot) + text.mid(end);
    }
    const QDateTime t = QDateTime::fromString(whole, Qt::ISODate);
    return t.isValid() ? t.toMSecsSinceEpoch() * 1000 + fractionUs : 0;
}

EngineSnapshot RemoteFeed::snapshotFromStatus(const QJsonObject &o)
{
    EngineSnapshot s;
    s.takenAtUs = parseTime(o.value(QStringLiteral("taken_at")));
    s.startedAtUs = parseTime(o.value(QStringLiteral("started_at")));
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (CounterTable[i].sumsOverRestarts())
            s[Counter(i)] = count(o, StatusApi::counterKey(i));
    s.inFlight = count(o, QStringLiteral("in_flight"));
    const QJsonObject deadBy = o.value(QStringLiteral("dead_lettered_by")).toObject();
    for (std::size_t i = 0; i < s.deadLetteredBy.size(); ++i)
        s.deadLetteredBy[i] = count(deadBy, QLatin1String(Reasons::DeadLetterNames[i]));
    const QJsonObject dropBy = o.value(QStringLiteral("dropped_by")).toObject();
    for (std::size_t i = 0; i < s.droppedBy.size(); ++i)
        s.droppedBy[i] = count(dropBy, QLatin1String(Reasons::DropNames[i]));
    const QJsonObject rates = o.value(QStringLiteral("rates")).toObject();
    s.receivedPerSec = rates.value(QStringLiteral("received_per_sec")).toDouble();
    s.writtenPerSec = rates.value(QStringLiteral("written_per_sec")).toDouble();
    s.mqtt = mqttFrom(o.value(QStringLiteral("mqtt")).toObject());
    s.db = databaseFrom(o.value(QStringLiteral("database")).toObject());
    const QJsonObject buffer = o.value(QStringLiteral("buffer")).toObject();
    s.maxBuffered = count(buffer, QStringLiteral("max_messages"));
    s.queued = count(buffer, QStringLiteral("queued"));
    s.bufferedBytes = count(buffer, QStringLiteral("bytes"));
    s.maxBufferedBytes = count(buffer, QStringLiteral("max_bytes"));
    s.readingPaused = buffer.value(QStringLiteral("reading_paused")).toBool();
    s.operatorPaused = buffer.value(QStringLiteral("paused_by_operator")).toBool();
    const QJsonObject spool = o.value(QStringLiteral("spool")).toObject();
    s.spoolEnabled = spool.value(QStringLiteral("enabled")).toBool();
    s.spoolBytes = count(spool, QStringLiteral("bytes"));
    s.spoolMaxBytes = count(spool, QStringLiteral("max_bytes"));
    const QString spoolState = spool.value(QStringLiteral("state")).toString();
    for (std::size_t i = 0; i < SpoolStateCount; ++i)
        if (spoolState == QLatin1String(SpoolStateNames[i]))
            s.spoolState = SpoolState(i);
    s.lastCommitUs = parseTime(o.value(QStringLiteral("last_commit")));
    return s;
}

CommitLatency::Percentiles RemoteFeed::latencyFromStatus(const QJsonObject &o)
{
    const QJsonObject l = o.value(QStringLiteral("commit_latency_ms")).toObject();
    CommitLatency::Percentiles p;
    p.rows = count(l, QStringLiteral("rows"));
    if (p.rows > 0) {
        p.p50Us = msToUs(l.value(QStringLiteral("p50")));
        p.p99Us = msToUs(l.value(QStringLiteral("p99")));
        p.maxUs = msToUs(l.value(QStringLiteral("max")));
    }
    return p;
}

void RemoteFeed::onInstanceUpdated()
{
    const QJsonObject status = m_instance.status();
    if (status.isEmpty() || m_instance.stale()) {
        setStale(true);
        return;
    }
    EngineSnapshot s = snapshotFromStatus(status);
    if (s.takenAtUs == m_snapshot.takenAtUs && !m_stale)
        return;   // a change of health only: the figures are the same
    // A new start time is a new engine; a new process only if its journals started again too (a desktop instance
    // restarting its engine for new settings keeps its journals and topic versions: nothing to read again).
    const quint64 topicsVersion = count(status.value(QStringLiteral("topics")).toObject(), QStringLiteral("version"));
    const bool newProcess = m_snapshot.startedAtUs > 0 && s.startedAtUs != m_snapshot.startedAtUs
        && (topicsVersion < m_topicsVersion || count(status, QStringLiteral("last_event_id")) < m_eventCursor
            || count(status, QStringLiteral("last_dead_letter_id")) < m_deadCursor
            || (m_topicsVersion == 0 && m_eventCursor == 0 && m_deadCursor == 0));
    if (newProcess) {
        // A new process: its ids and versions start from 1 again, and what it reports is new.
        m_topicsVersion = 0;
        m_deadCursor = 0;
        m_eventCursor = 0;
    }
    m_snapshot = s;
    if (newProcess)
        Q_EMIT restarted();
    m_latency = latencyFromStatus(status);
    m_dataAtUs = TimeFormat::nowUs();
    m_name = status.value(QStringLiteral("instance")).toString();
    m_host = status.value(QStringLiteral("host")).toString();
    const QJsonObject config = status.value(QStringLiteral("config")).toObject();
    if (!config.isEmpty())
        m_flushIntervalSec = config.value(QStringLiteral("subscriber")).toObject()
                                 .value(QStringLiteral("flush_interval_sec")).toDouble(m_flushIntervalSec);
    m_remoteTopicsVersion = count(status.value(QStringLiteral("topics")).toObject(), QStringLiteral("version"));
    m_remoteLastDead = count(status, QStringLiteral("last_dead_letter_id"));
    m_remoteLastEvent = count(status, QStringLiteral("last_event_id"));
    // Ids that went backwards without a new start time (a journal reset): read from the beginning again.
    if (m_remoteTopicsVersion < m_topicsVersion)
        m_topicsVersion = 0;
    if (m_remoteLastDead < m_deadCursor)
        m_deadCursor = 0;
    if (m_remoteLastEvent < m_eventCursor)
        m_eventCursor = 0;
    setStale(false);
    Q_EMIT snapshotUpdated(m_snapshot);
    // The first answer, or a return: fetch the lists now rather than at the next tick.
    if (m_topicsVersion == 0 || m_eventCursor == 0)
        pollLists();
}

void RemoteFeed::pollLists()
{
    if (m_stale)
        return;
    // Only what moved, and never two requests for one list at once.
    if (m_remoteTopicsVersion > m_topicsVersion)
        request(List::Topics, QStringLiteral("/api/v1/topics?since=%1").arg(m_topicsVersion));
    if (m_remoteLastDead > m_deadCursor)
        request(List::DeadLetters,
                QStringLiteral("/api/v1/dead-letters?after=%1&limit=%2").arg(m_deadCursor).arg(PageSize));
    if (m_remoteLastEvent > m_eventCursor)
        request(List::Events, QStringLiteral("/api/v1/events?after=%1&limit=%2").arg(m_eventCursor).arg(PageSize));
}

void RemoteFeed::request(List list, const QString &pathAndQuery)
{
    QNetworkReply *&pending = m_pending[int(list)];
    if (pending)
        return;
    QUrl url = m_instance.url();
    const qsizetype q = pathAndQuery.indexOf(QLatin1Char('?'));
    url.setPath(pathAndQuery.left(q));
    url.setQuery(q < 0 ? QString() : pathAndQuery.mid(q + 1));
    QNetworkRequest req(url);
    req.setTransferTimeout(RequestTimeoutMs);
    const QByteArray token = m_instance.token();
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token);
    pending = m_network->get(req);
    connect(pending, &QNetworkReply::finished, this, [this, list, reply = pending] { answered(list, reply); });
}

void RemoteFeed::answered(List list, QNetworkReply *reply)
{
    reply->deleteLater();
    m_pending[int(list)] = nullptr;
    const int http = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() != QNetworkReply::NoError || http != 200)
        return;   // the instance's own polls judge reachability; the next tick asks again
    const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
    switch (list) {
    case List::Topics: takeTopics(o); break;
    case List::DeadLetters: takeDeadLetters(o); break;
    case List::Events: takeEvents(o); break;
    case List::Count: break;
    }
}

void RemoteFeed::takeTopics(const QJsonObject &o)
{
    std::vector<TopicSample> samples;
    const QJsonArray list = o.value(QStringLiteral("topics")).toArray();
    samples.reserve(std::size_t(list.size()));
    for (const QJsonValue &v : list) {
        const QJsonObject t = v.toObject();
        TopicSample &s = samples.emplace_back();
        s.topic = t.value(QStringLiteral("topic")).toString().toUtf8();
        s.count = count(t, QStringLiteral("count"));
        s.firstSeenUs = parseTime(t.value(QStringLiteral("first_seen")));
        s.lastSeenUs = parseTime(t.value(QStringLiteral("last_seen")));
        s.intervalUs = t.value(QStringLiteral("interval_ms")).toDouble() * 1e3;
        s.lastPayload = payloadFrom(t, QStringLiteral("payload"));
        s.payloadSize = std::uint32_t(count(t, QStringLiteral("payload_size")));
    }
    m_topics.mirror(samples, count(o, QStringLiteral("untracked_readings")));
    m_topicsVersion = std::max<quint64>(count(o, QStringLiteral("version")), m_topicsVersion);
}

void RemoteFeed::takeDeadLetters(const QJsonObject &o)
{
    for (const QJsonValue &v : o.value(QStringLiteral("dead_letters")).toArray()) {
        const QJsonObject l = v.toObject();
        const quint64 id = count(l, QStringLiteral("id"));
        if (id <= m_deadCursor)
            continue;
        m_deadCursor = id;
        Q_EMIT deadLettered(l.value(QStringLiteral("topic")).toString().toUtf8(),
                            l.value(QStringLiteral("reason")).toString(),
                            parseTime(l.value(QStringLiteral("received_at"))));
    }
}

void RemoteFeed::takeEvents(const QJsonObject &o)
{
    for (const QJsonValue &v : o.value(QStringLiteral("events")).toArray()) {
        const QJsonObject e = v.toObject();
        const quint64 id = count(e, QStringLiteral("id"));
        if (id <= m_eventCursor)
            continue;
        m_eventCursor = id;
        Q_EMIT eventArrived(parseTime(e.value(QStringLiteral("time"))), e.value(QStringLiteral("source")).toString(),
                            e.value(QStringLiteral("state")).toString(), e.value(QStringLiteral("detail")).toString());
    }
}

void RemoteFeed::setStale(bool stale)
{
    if (stale == m_stale)
        return;
    m_stale = stale;
    Q_EMIT staleChanged(stale);
}

} // namespace iot
