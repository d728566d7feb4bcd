// SPDX-License-Identifier: MIT
#include "observability/statusapi.h"

#include "engine.h"
#include "config/secrets.h"
#include "observability/commitlatency.h"
#include "observability/eventjournal.h"
#include "observability/healthcheck.h"
#include "observability/httpendpoint.h"
#include "observability/topicstats.h"
#include "util/timeformat.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QSysInfo>
#include <QTimer>
#include <QStringDecoder>
#include <QUrlQuery>

#include <algorithm>
#include <optional>

namespace iot {
namespace {

constexpr char Json[] = "application/json";
constexpr std::int64_t StallUs = 10'000'000;   // as /healthz: a worker loop silent this long counts as stuck

/// "deadLettered" → "dead_lettered": the API's keys come from CounterTable, not a second list.
QString snakeCase(const char *camel)
{
    QString out;
    for (const char *c = camel; *c; ++c) {
        if (*c >= 'A' && *c <= 'Z') {
            out += QLatin1Char('_');
            out += QLatin1Char(char(*c - 'A' + 'a'));
        } else {
            out += QLatin1Char(*c);
        }
    }
    return out;
}

QJsonValue iso(std::int64_t us)
{
    if (us <= 0)
        return QJsonValue::Null;
    char text[TimeFormat::IsoLength];
    TimeFormat::isoUtc(us, text);
    return QString::fromLatin1(text, qsizetype(TimeFormat::IsoLength));
}

double fill(quint64 used, quint64 max)
{
    return max == 0 ? 0.0 : double(used) / double(max);
}

/// Payload bytes as text when they are UTF-8, else as base64 with "payload_encoding" saying so.
void putPayload(QJsonObject &o, const char *key, const QByteArray &bytes)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8.decode(bytes);
    // A preview cut inside a multi-byte character is still text: only a real encoding error counts.
    if (!utf8.hasError()) {
        o.insert(QLatin1String(key), text);
    } else {
        o.insert(QLatin1String(key), QString::fromLatin1(bytes.toBase64()));
        o.insert(QLatin1String(key) + QStringLiteral("_encoding"), QStringLiteral("base64"));
    }
}

QJsonObject side(const QString &state, qint64 sinceUs, const QString &detail)
{
    return {{QStringLiteral("state"), state}, {QStringLiteral("since"), iso(sinceUs)},
            {QStringLiteral("detail"), detail}};
}

/// A Q_ENUM value's key in lower case ("ConnectionLost" -> "connectionlost"): what a client maps back to the enum.
template<typename E>
QString enumKey(E value)
{
    return QString::fromLatin1(QMetaEnum::fromType<E>().valueToKey(int(value))).toLower();
}

/// The state's structured fields besides its one-line detail, so that a watcher (the desktop's fleet view) words it
/// as the local window does instead of parsing the detail.
QJsonObject mqttSide(const MessageSource::StateInfo &m)
{
    QJsonObject o = side(MessageSource::stateName(m.state), m.sinceUs, m.detail());
    o.insert(QStringLiteral("endpoint"), m.endpoint);
    o.insert(QStringLiteral("attempt"), m.attempt);
    o.insert(QStringLiteral("retry_delay_ms"), double(m.retryDelayUs) / 1e3);
    o.insert(QStringLiteral("cause"), enumKey(m.cause));
    o.insert(QStringLiteral("message"), m.message);
    o.insert(QStringLiteral("sessions_taken_over"), m.sessionsTakenOver);
    o.insert(QStringLiteral("takeover_confirmed"), m.takeoverConfirmed);
    return o;
}

QJsonObject databaseSide(const BatchWriter::StateInfo &db)
{
    QJsonObject o = side(BatchWriter::stateName(db.state), db.sinceUs, db.detail());
    o.insert(QStringLiteral("target"), db.target);
    o.insert(QStringLiteral("attempt"), db.attempt);
    o.insert(QStringLiteral("retry_delay_ms"), double(db.retryDelayUs) / 1e3);
    o.insert(QStringLiteral("cause"), enumKey(db.cause));
    o.insert(QStringLiteral("table"), db.table);
    o.insert(QStringLiteral("code"), db.code);
    o.insert(QStringLiteral("message"), db.message);
    return o;
}

QString secret(const QString &value)
{
    return value.isEmpty() ? QString() : Secrets::mask();
}

/// What an operator needs to recognise an instance's setup; secrets only as "set" (masked), never their values.
QJsonObject configSummary(const Config &c)
{
    QJsonArray topics;
    for (const TopicFilter &t : c.mqtt.topics)
        topics.append(QJsonObject{{QStringLiteral("filter"), t.filter}, {QStringLiteral("qos"), t.qos}});
    const bool pg = c.database.driver == DbDriver::Postgres;
    QJsonObject db{{QStringLiteral("driver"), pg ? QStringLiteral("postgresql") : QStringLiteral("sqlite")},
                   {QStringLiteral("table"), c.database.table},
                   {QStringLiteral("dead_letter_table"), c.database.deadLetterTable}};
    if (pg) {
        db.insert(QStringLiteral("host"), c.database.host);
        db.insert(QStringLiteral("port"), c.database.port);
        db.insert(QStringLiteral("name"), c.database.name);
        db.insert(QStringLiteral("user"), c.database.user);
        db.insert(QStringLiteral("password"), secret(c.database.password));
        db.insert(QStringLiteral("sslmode"), c.database.sslmode);
    } else {
        db.insert(QStringLiteral("path"), c.database.path);
    }
    return {
        {QStringLiteral("file"), c.sourceFile},
        {QStringLiteral("mqtt"),
         QJsonObject{{QStringLiteral("host"), c.mqtt.host},
                     {QStringLiteral("port"), c.mqtt.port},
                     {QStringLiteral("topics"), topics},
                     {QStringLiteral("client_id"), c.mqtt.clientId},
                     {QStringLiteral("username"), c.mqtt.username},
                     {QStringLiteral("password"), secret(c.mqtt.password)},
                     {QStringLiteral("protocol"), c.mqtt.protocolVersion == 5 ? QStringLiteral("5")
                                                                              : QStringLiteral("3.1.1")},
                     {QStringLiteral("tls"), c.mqtt.tls}}},
        {QStringLiteral("database"), db},
        {QStringLiteral("subscriber"),
         QJsonObject{{QStringLiteral("batch_size"), c.subscriber.batchSize},
                     {QStringLiteral("flush_interval_sec"), c.subscriber.flushIntervalSec},
                     {QStringLiteral("max_buffered_messages"), c.subscriber.maxBufferedMessages},
                     {QStringLiteral("max_buffered_mb"), c.subscriber.maxBufferedMb}}},
        {QStringLiteral("spool"),
         QJsonObject{{QStringLiteral("enabled"), c.spool.enabled},
                     {QStringLiteral("dir"), c.spool.dir},
                     {QStringLiteral("max_mb"), c.spool.maxMb}}},
        {QStringLiteral("mappings"), int(c.mappings.size())},
    };
}

/// `key`'s value in `query` as an unsigned number; `fallback` when absent, nullopt when not a number.
std::optional<quint64> number(const QUrlQuery &query, const char *key, quint64 fallback)
{
    if (!query.hasQueryItem(QLatin1String(key)))
        return fallback;
    bool ok = false;
    const quint64 v = query.queryItemValue(QLatin1String(key)).toULongLong(&ok);
    return ok ? std::optional<quint64>(v) : std::nullopt;
}

HttpEndpoint::Response json(const QJsonObject &o)
{
    return {200, QByteArray(Json), QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n'};
}

HttpEndpoint::Response badRequest(const char *key)
{
    return {400, QByteArray(Json),
            QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                       QStringLiteral("%1 must be a non-negative number").arg(QLatin1String(key))}})
                    .toJson(QJsonDocument::Compact)
                + '\n'};
}

/// Without a token the API answers loopback clients only: topic payloads and server messages stay on this host
/// unless the operator set a token (docs/security.md).
HttpEndpoint::Response refused()
{
    return {401, QByteArray(Json),
            QByteArrayLiteral("{\"error\":\"the status API needs the bearer token; without one configured "
                              "(auth_token_file) it answers loopback clients only\"}\n")};
}

} // namespace

struct StatusApi::Private
{
    Engine *engine = nullptr;
    std::function<EngineSnapshot()> snapshot;
    QList<QMetaObject::Connection> connections;
    std::shared_ptr<TopicStats> topics = std::make_shared<TopicStats>(PayloadPreviewBytes);
    std::shared_ptr<CommitLatency> latency = std::make_shared<CommitLatency>();
    EventJournal journal;
    MessageSource::StateInfo lastMqtt;
    BatchWriter::StateInfo lastDb;
    QJsonObject config;
    QString instance;
    QString host = QSysInfo::machineHostName();
    HttpEndpoint *http = nullptr;
    QTimer streamTimer;          // a snapshot held back to keep the stream at StreamIntervalMs
    QElapsedTimer sinceSent;

    QJsonObject topicsJson(quint64 since) const;
    QJsonObject deadLettersJson(quint64 after, quint64 limit) const;
    QJsonObject eventsJson(quint64 after, quint64 limit) const;
};

StatusApi::StatusApi(QObject *parent) : QObject(parent), d(std::make_unique<Private>())
{
    d->streamTimer.setSingleShot(true);
    connect(&d->streamTimer, &QTimer::timeout, this, &StatusApi::tick);
}

StatusApi::~StatusApi() = default;

void StatusApi::follow(Engine &engine, std::function<EngineSnapshot()> snapshot)
{
    for (const QMetaObject::Connection &c : std::as_const(d->connections))
        disconnect(c);
    d->connections.clear();
    d->engine = &engine;
    d->snapshot = std::move(snapshot);
    d->config = configSummary(engine.config());
    d->instance = engine.config().observability.serviceName;
    engine.addObserver(d->topics);
    engine.addObserver(d->latency);
    d->connections << connect(&engine, &Engine::mqttStateChanged, this, [this](const MessageSource::StateInfo &i) {
        // Every change of state or of its detail (each retry announces its attempt) is a step of the timeline.
        if (i.state == d->lastMqtt.state && i.detail() == d->lastMqtt.detail())
            return;
        d->lastMqtt = i;
        d->journal.addEvent(i.sinceUs > 0 ? i.sinceUs : TimeFormat::nowUs(), QStringLiteral("mqtt"),
                            MessageSource::stateName(i.state), i.detail());
    });
    d->connections << connect(&engine, &Engine::databaseStateChanged, this, [this](const BatchWriter::StateInfo &i) {
        if (i.state == d->lastDb.state && i.detail() == d->lastDb.detail())
            return;
        d->lastDb = i;
        d->journal.addEvent(i.sinceUs > 0 ? i.sinceUs : TimeFormat::nowUs(), QStringLiteral("database"),
                            BatchWriter::stateName(i.state), i.detail());
    });
    // A new snapshot goes out to the watchers at once, unless the last went out less than StreamIntervalMs ago.
    d->connections << connect(&engine, &Engine::snapshotUpdated, this, [this] {
        if (d->streamTimer.isActive())
            return;
        const qint64 sinceLast = d->sinceSent.isValid() ? d->sinceSent.elapsed() : StreamIntervalMs;
        if (sinceLast >= StreamIntervalMs)
            tick();
        else
            d->streamTimer.start(int(StreamIntervalMs - sinceLast));
    });
    d->connections << connect(&engine, &Engine::deadLettered, this,
                              [this](const QByteArray &topic, const QString &reason, qint64 receivedAtUs,
                                     const QByteArray &preview) {
                                  d->journal.addDeadLetter(receivedAtUs, topic, reason, preview);
                              });
}

void StatusApi::serve(HttpEndpoint &http)
{
    d->http = &http;
    using Access = HttpEndpoint::Access;
    using Request = HttpEndpoint::Request;
    http.addRoute(QByteArrayLiteral("/api/v1/status"), Access::Token, [this](const Request &r) {
        return r.authenticated ? json(status(true)) : refused();
    });
    http.addRoute(QByteArrayLiteral("/api/v1/topics"), Access::Token, [this](const Request &r) {
        if (!r.authenticated)
            return refused();
        const auto since = number(QUrlQuery(QString::fromLatin1(r.query)), "since", 0);
        return since ? json(d->topicsJson(*since)) : badRequest("since");
    });
    http.addRoute(QByteArrayLiteral("/api/v1/dead-letters"), Access::Token, [this](const Request &r) {
        if (!r.authenticated)
            return refused();
        const QUrlQuery q(QString::fromLatin1(r.query));
        const auto after = number(q, "after", 0);
        const auto limit = number(q, "limit", 100);
        if (!after || !limit)
            return badRequest(after ? "limit" : "after");
        return json(d->deadLettersJson(*after, std::min<quint64>(*limit, MaxListLimit)));
    });
    http.addRoute(QByteArrayLiteral("/api/v1/events"), Access::Token, [this](const Request &r) {
        if (!r.authenticated)
            return refused();
        const QUrlQuery q(QString::fromLatin1(r.query));
        const auto after = number(q, "after", 0);
        const auto limit = number(q, "limit", MaxListLimit);
        if (!after || !limit)
            return badRequest(after ? "limit" : "after");
        return json(d->eventsJson(*after, std::min<quint64>(*limit, MaxListLimit)));
    });
    http.addStreamRoute(QByteArray(StreamPath), Access::Token, [this](const Request &r) {
        if (!r.authenticated)
            return refused();
        // The first snapshot at once, so a watcher never starts from nothing; `retry` paces its reconnects.
        return HttpEndpoint::Response{
            200, QByteArrayLiteral("text/event-stream"),
            "retry: 2000\n\nevent: status\ndata: " + QJsonDocument(status(false)).toJson(QJsonDocument::Compact)
                + "\n\n"};
    });
}

void StatusApi::tick()
{
    if (!d->http || d->http->streamCount(QByteArray(StreamPath)) == 0)
        return;
    d->sinceSent.start();
    d->http->broadcast(QByteArray(StreamPath), "event: status\ndata: "
                                                   + QJsonDocument(status(false)).toJson(QJsonDocument::Compact)
                                                   + "\n\n");
}

QString StatusApi::counterKey(std::size_t counter)
{
    return snakeCase(CounterTable[counter].key);
}

QJsonObject StatusApi::status(bool withConfig) const
{
    const EngineSnapshot s = d->snapshot ? d->snapshot() : EngineSnapshot{};
    const std::int64_t now = TimeFormat::nowUs();
    QJsonObject o{{QStringLiteral("api"), 1},
                  {QStringLiteral("instance"), d->instance},
                  {QStringLiteral("host"), d->host},
                  {QStringLiteral("version"), QStringLiteral(IOT_VERSION)},
                  {QStringLiteral("taken_at"), iso(s.takenAtUs)},
                  {QStringLiteral("started_at"), iso(s.startedAtUs)},
                  {QStringLiteral("uptime_sec"), s.startedAtUs > 0 ? double(now - s.startedAtUs) / 1e6 : 0.0}};
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (CounterTable[i].sumsOverRestarts())
            o.insert(counterKey(i), qint64(s[Counter(i)]));
    o.insert(QStringLiteral("in_flight"), qint64(s.inFlight));
    QJsonObject deadBy;
    for (std::size_t i = 0; i < s.deadLetteredBy.size(); ++i)
        deadBy.insert(QLatin1String(Reasons::DeadLetterNames[i]), qint64(s.deadLetteredBy[i]));
    QJsonObject dropBy;
    for (std::size_t i = 0; i < s.droppedBy.size(); ++i)
        dropBy.insert(QLatin1String(Reasons::DropNames[i]), qint64(s.droppedBy[i]));
    o.insert(QStringLiteral("dead_lettered_by"), deadBy);
    o.insert(QStringLiteral("dropped_by"), dropBy);
    o.insert(QStringLiteral("rates"), QJsonObject{{QStringLiteral("received_per_sec"), s.receivedPerSec},
                                                  {QStringLiteral("written_per_sec"), s.writtenPerSec}});
    o.insert(QStringLiteral("mqtt"), mqttSide(s.mqtt));
    o.insert(QStringLiteral("database"), databaseSide(s.db));
    o.insert(QStringLiteral("buffer"), QJsonObject{{QStringLiteral("messages"), qint64(s.inFlight)},
                                                   {QStringLiteral("max_messages"), qint64(s.maxBuffered)},
                                                   {QStringLiteral("queued"), qint64(s.queued)},
                                                   {QStringLiteral("bytes"), qint64(s.bufferedBytes)},
                                                   {QStringLiteral("max_bytes"), qint64(s.maxBufferedBytes)},
                                                   {QStringLiteral("fill"), std::max(fill(s.inFlight, s.maxBuffered),
                                                                                     fill(s.bufferedBytes, s.maxBufferedBytes))},
                                                   {QStringLiteral("reading_paused"), s.readingPaused},
                                                   {QStringLiteral("paused_by_operator"), s.operatorPaused}});
    o.insert(QStringLiteral("spool"), QJsonObject{{QStringLiteral("enabled"), s.spoolEnabled},
                                                  {QStringLiteral("bytes"), qint64(s.spoolBytes)},
                                                  {QStringLiteral("max_bytes"), qint64(s.spoolMaxBytes)},
                                                  {QStringLiteral("fill"), fill(s.spoolBytes, s.spoolMaxBytes)},
                                                  {QStringLiteral("state"), QLatin1String(spoolStateName(s.spoolState))}});
    const CommitLatency::Percentiles p = d->latency->percentiles(now);
    o.insert(QStringLiteral("last_commit"), iso(s.lastCommitUs));
    o.insert(QStringLiteral("commit_latency_ms"),
             QJsonObject{{QStringLiteral("rows"), qint64(p.rows)},
                         {QStringLiteral("p50"), p.rows ? QJsonValue(double(p.p50Us) / 1e3) : QJsonValue::Null},
                         {QStringLiteral("p99"), p.rows ? QJsonValue(double(p.p99Us) / 1e3) : QJsonValue::Null},
                         {QStringLiteral("max"), p.rows ? QJsonValue(double(p.maxUs) / 1e3) : QJsonValue::Null},
                         {QStringLiteral("window_sec"), 60}});
    // One word for a dashboard's pill: error when a loop is stuck or a side has failed, warning when not ready.
    const HealthCheck::Verdict live = HealthCheck::liveness(s, now, StallUs);
    const HealthCheck::Verdict ready = HealthCheck::readiness(s);
    const bool failed = s.mqtt.state == MessageSource::State::Failed || s.db.state == BatchWriter::State::Failed
        || s.db.state == BatchWriter::State::Blocked;
    QStringList reasons = live.reasons + ready.reasons;
    o.insert(QStringLiteral("health"),
             QJsonObject{{QStringLiteral("status"), !live.ok || failed ? QStringLiteral("error")
                                                    : !ready.ok        ? QStringLiteral("warning")
                                                                       : QStringLiteral("ok")},
                         {QStringLiteral("reasons"), QJsonArray::fromStringList(reasons)}});
    o.insert(QStringLiteral("topics"), QJsonObject{{QStringLiteral("count"), qint64(d->topics->topicCount())},
                                                   {QStringLiteral("version"), qint64(d->topics->version())}});
    o.insert(QStringLiteral("last_event_id"), qint64(d->journal.lastEventId()));
    o.insert(QStringLiteral("last_dead_letter_id"), qint64(d->journal.lastDeadLetterId()));
    if (d->http)
        o.insert(QStringLiteral("watchers"),
                 QJsonObject{{QStringLiteral("connected"), d->http->streamCount(QByteArray(StreamPath))},
                             {QStringLiteral("cut"), qint64(d->http->streamsCut())}});
    if (withConfig)
        o.insert(QStringLiteral("config"), d->config);
    return o;
}

QJsonObject StatusApi::Private::topicsJson(quint64 since) const
{
    std::vector<TopicSample> changed;
    const std::uint64_t version = topics->changesSince(since, changed);
    const std::int64_t now = TimeFormat::nowUs();
    const std::int64_t graceUs = engine ? std::int64_t(engine->config().subscriber.flushIntervalSec * 1e6) + 1'000'000
                                        : 1'000'000;
    QJsonArray list;
    for (const TopicSample &t : changed) {
        QJsonObject o{{QStringLiteral("topic"), QString::fromUtf8(t.topic)},
                      {QStringLiteral("count"), qint64(t.count)},
                      {QStringLiteral("first_seen"), iso(t.firstSeenUs)},
                      {QStringLiteral("last_seen"), iso(t.lastSeenUs)},
                      {QStringLiteral("rate_per_sec"), t.ratePerSec(now, graceUs)},
                      {QStringLiteral("interval_ms"), t.intervalUs / 1e3},
                      {QStringLiteral("stale"), t.isStale(now, graceUs)},
                      {QStringLiteral("payload_size"), qint64(t.payloadSize)},
                      {QStringLiteral("payload_truncated"), t.payloadTruncated()},
                      {QStringLiteral("version"), qint64(t.version)}};
        putPayload(o, "payload", t.lastPayload);
        list.append(o);
    }
    return {{QStringLiteral("version"), qint64(version)},
            {QStringLiteral("since"), qint64(since)},
            {QStringLiteral("topic_count"), qint64(topics->topicCount())},
            {QStringLiteral("untracked_readings"), qint64(topics->untrackedReadings())},
            {QStringLiteral("topics"), list}};
}

QJsonObject StatusApi::Private::deadLettersJson(quint64 after, quint64 limit) const
{
    QJsonArray list;
    for (const JournalDeadLetter &l : journal.deadLettersAfter(after, limit)) {
        QJsonObject o{{QStringLiteral("id"), qint64(l.id)},
                      {QStringLiteral("received_at"), iso(l.receivedAtUs)},
                      {QStringLiteral("topic"), QString::fromUtf8(l.topic)},
                      {QStringLiteral("reason"), l.reason}};
        putPayload(o, "payload_preview", l.payloadPreview);
        list.append(o);
    }
    return {{QStringLiteral("last_id"), qint64(journal.lastDeadLetterId())},
            {QStringLiteral("dead_letters"), list}};
}

QJsonObject StatusApi::Private::eventsJson(quint64 after, quint64 limit) const
{
    QJsonArray list;
    for (const JournalEvent &e : journal.eventsAfter(after, limit))
        list.append(QJsonObject{{QStringLiteral("id"), qint64(e.id)},
                                {QStringLiteral("time"), iso(e.timeUs)},
                                {QStringLiteral("source"), e.source},
                                {QStringLiteral("state"), e.state},
                                {QStringLiteral("detail"), e.detail}});
    return {{QStringLiteral("last_id"), qint64(journal.lastEventId())}, {QStringLiteral("events"), list}};
}

} // namespace iot
