// SPDX-License-Identifier: MIT
#include "observability/observability.h"

#include "engine.h"
#include "config/secrets.h"
#include "logging/log.h"
#include "observability/healthcheck.h"
#include "observability/httpendpoint.h"
#include "observability/metrics.h"
#include "observability/spanqueue.h"
#include "observability/statusapi.h"
#include "observability/tracer.h"
#include "util/timeformat.h"

#include <QFile>
#include <QUrl>

#include <algorithm>

namespace iot {
namespace {

constexpr int ShutdownFlushMs = 1000;
constexpr std::int64_t MinStallUs = 10'000'000;

auto logger()
{
    static auto l = log::get("observability");
    return l;
}

QString outcomeName(TransactionReport::Outcome outcome)
{
    switch (outcome) {
    case TransactionReport::Outcome::Committed: return QStringLiteral("committed");
    case TransactionReport::Outcome::Retry: return QStringLiteral("retry");
    case TransactionReport::Outcome::DataError: return QStringLiteral("data_error");
    }
    return QStringLiteral("unknown");
}

/// Feeds every write transaction into the histograms and, when tracing is on, a span. Runs on the writer thread;
/// it holds only thread-safe objects that outlive it on their own (shared ownership), never the main thread's.
class TelemetryObserver final : public PipelineObserver
{
public:
    TelemetryObserver(std::shared_ptr<Metrics> metrics, std::shared_ptr<SpanQueue> spans, QString dbSystem)
        : m_metrics(std::move(metrics)), m_spans(std::move(spans)), m_dbSystem(std::move(dbSystem))
    {
    }

    void transactionFinished(const TransactionReport &r) override
    {
        if (m_metrics)
            m_metrics->observe(r);
        if (!m_spans)
            return;
        TraceSpan span = TraceSpan::root(QStringLiteral("batch write"), TraceSpan::Kind::Client, r.startUs, r.endUs);
        span.attribute(QStringLiteral("db.system"), m_dbSystem)
            .attribute(QStringLiteral("table"), r.table)
            .attribute(QStringLiteral("rows"), static_cast<std::int64_t>(r.rows ? r.rows->size() : 0))
            .attribute(QStringLiteral("dead_letters"), static_cast<std::int64_t>(r.deadLetters))
            .attribute(QStringLiteral("bytes"), static_cast<std::int64_t>(r.payloadBytes))
            .attribute(QStringLiteral("outcome"), outcomeName(r.outcome))
            .attribute(QStringLiteral("attempt"), static_cast<std::int64_t>(r.attempt));
        if (r.outcome == TransactionReport::Outcome::Committed) {
            span.status = TraceSpan::Status::Ok;
        } else {
            span.status = TraceSpan::Status::Error;
            span.statusMessage = r.error;
        }
        m_spans->push(std::move(span));
    }

private:
    std::shared_ptr<Metrics> m_metrics;
    std::shared_ptr<SpanQueue> m_spans;
    QString m_dbSystem;
};

/// From the first failed attempt to the next successful connect: one "reconnect" span.
struct Outage
{
    std::int64_t sinceUs = 0;
    std::int64_t attempts = 0;
    QString firstReason;
};

} // namespace

struct Observability::Private
{
    Engine *engine = nullptr;
    std::function<EngineSnapshot()> snapshot;   // what /metrics and the health checks report
    QList<QMetaObject::Connection> connections; // to the watched engine's state signals
    std::shared_ptr<Metrics> metrics;
    std::unique_ptr<HttpEndpoint> http;
    std::unique_ptr<StatusApi> api;   // /api/v1/ on the metrics port
    std::unique_ptr<Tracer> tracer;
    Outage mqttOutage;
    Outage dbOutage;
    std::int64_t stallUs = MinStallUs;

    explicit Private(Engine &e) : engine(&e) {}
    HttpEndpoint::Response metricsResponse() const;
    Status secure(const ObservabilityConfig &o);
    void outageStep(Outage &outage, const char *target, bool failed, bool connected, const QString &detail);
};

Observability::Observability(Engine &engine, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>(engine))
{
    const Config &config = engine.config();
    const ObservabilityConfig &o = config.observability;
    // A writer blocked in a database connect is slow, not stuck: give it two connect timeouts before /healthz fails.
    d->stallUs = std::max<std::int64_t>(MinStallUs, (2LL * config.database.connectTimeoutSec + 2) * 1'000'000);
    if (o.prometheusPort != 0) {
        d->metrics = std::make_shared<Metrics>(QStringLiteral(IOT_VERSION));
        d->api = std::make_unique<StatusApi>();
    }
    if (!o.traceEndpoint.isEmpty())
        d->tracer = std::make_unique<Tracer>(QUrl(o.traceEndpoint), o.serviceName);
    follow(engine);
}

void Observability::follow(Engine &engine, std::function<EngineSnapshot()> snapshot)
{
    for (const QMetaObject::Connection &c : std::as_const(d->connections))
        disconnect(c);
    d->connections.clear();
    d->engine = &engine;
    d->snapshot = snapshot ? std::move(snapshot) : [e = &engine] { return e->snapshot(); };
    if (d->api)
        d->api->follow(engine, d->snapshot);
    if (!d->metrics && !d->tracer)
        return;
    const QString dbSystem = engine.config().database.driver == DbDriver::Postgres ? QStringLiteral("postgresql")
                                                                                    : QStringLiteral("sqlite");
    engine.addObserver(std::make_shared<TelemetryObserver>(d->metrics, d->tracer ? d->tracer->queue() : nullptr,
                                                           dbSystem));
    if (!d->tracer)
        return;
    d->connections << connect(&engine, &Engine::mqttStateChanged, this,
                              [this](const MessageSource::StateInfo &info) {
                                  const auto s = info.state;
                                  d->outageStep(d->mqttOutage, "mqtt", s == MessageSource::State::Reconnecting,
                                                s == MessageSource::State::Connected, info.detail());
                              });
    d->connections << connect(&engine, &Engine::databaseStateChanged, this,
                              [this](const BatchWriter::StateInfo &info) {
                                  const auto s = info.state;
                                  d->outageStep(d->dbOutage, "database",
                                                s == BatchWriter::State::Retrying || s == BatchWriter::State::Blocked,
                                                s == BatchWriter::State::Connected, info.detail());
                              });
}

Observability::~Observability()
{
    if (d->tracer)
        d->tracer->flushAndWait(ShutdownFlushMs);
}

Status Observability::start()
{
    const ObservabilityConfig &o = d->engine->config().observability;
    if (d->tracer)
        logger()->info("exporting traces to {} as service {}", Secrets::maskUrl(o.traceEndpoint), o.serviceName);
    if (!d->metrics)
        return Ok{};
    QHostAddress address;
    if (!address.setAddress(o.metricsBindAddress))
        return Error{QStringLiteral("observability.metrics_bind_address: not an IP address: ") + o.metricsBindAddress};
    d->http = std::make_unique<HttpEndpoint>();
    // /metrics needs the token once one is set. /healthz and /readyz stay open: orchestrators probe them without
    // credentials, and they say only ok or not plus state names; reasons (which may quote a server) need the token.
    d->http->addRoute(QByteArrayLiteral("/metrics"), HttpEndpoint::Access::Token,
                      [this](const HttpEndpoint::Request &) { return d->metricsResponse(); });
    d->http->addRoute(QByteArrayLiteral("/healthz"), HttpEndpoint::Access::Open, [this](const HttpEndpoint::Request &r) {
        const auto v = HealthCheck::liveness(d->snapshot(), TimeFormat::nowUs(), d->stallUs);
        return HttpEndpoint::Response{v.httpStatus(), QByteArrayLiteral("application/json"),
                                      v.json(QStringLiteral("unhealthy"), r.authenticated)};
    });
    d->http->addRoute(QByteArrayLiteral("/readyz"), HttpEndpoint::Access::Open, [this](const HttpEndpoint::Request &r) {
        const auto v = HealthCheck::readiness(d->snapshot());
        return HttpEndpoint::Response{v.httpStatus(), QByteArrayLiteral("application/json"),
                                      v.json(QStringLiteral("not ready"), r.authenticated)};
    });
    if (const Status st = d->secure(o); !st) {
        d->http.reset();
        return st;
    }
    if (const Status st = d->http->listen(address, static_cast<quint16>(o.prometheusPort)); !st) {
        d->http.reset();
        return Error{QStringLiteral("observability.prometheus_port: ") + st.error().message};
    }
    d->api->serve(*d->http);
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QStringLiteral("[%1]").arg(address.toString()) : address.toString();
    const bool token = !o.authToken.isEmpty() || !o.authTokenFile.isEmpty();
    logger()->info("metrics on {}://{}:{}/metrics ({}), health checks on /healthz and /readyz, status API on /api/v1/",
                   d->http->tls() ? "https" : "http", host, d->http->port(),
                   token ? "bearer token required" : "no token");
    if (!token && !address.isLoopback())
        logger()->warn("observability port on {} without a token: anyone who reaches it can read /metrics and the "
                       "health checks' reasons; set auth_token_file or IOT_OBSERVABILITY_TOKEN", host);
    return Ok{};
}

quint16 Observability::metricsPort() const
{
    return d->http ? d->http->port() : 0;
}

Status Observability::Private::secure(const ObservabilityConfig &o)
{
    // The environment wins, as for the other secrets; the token itself is never a config key.
    if (!o.authToken.isEmpty() || !o.authTokenFile.isEmpty()) {
        const Result<BearerToken> token = !o.authToken.isEmpty()
            ? BearerToken::fromValue(o.authToken.toUtf8(), QStringLiteral("IOT_OBSERVABILITY_TOKEN"))
            : BearerToken::fromFile(o.authTokenFile);
        if (!token)
            return Error{QStringLiteral("observability.auth_token_file: ") + token.error().message};
        if (o.authToken.isEmpty() && (QFile::permissions(o.authTokenFile) & QFileDevice::ReadOther))
            logger()->warn("the token file {} is readable by every local user (chmod 0640 or 0600)",
                           o.authTokenFile);
        http->setToken(token.value());
    }
    if (!o.tlsCertFile.isEmpty()) {
        if (const Status st = http->setTls(o.tlsCertFile, o.tlsKeyFile); !st)
            return Error{QStringLiteral("observability.tls_cert_file: ") + st.error().message};
    }
    return Ok{};
}

HttpEndpoint::Response Observability::Private::metricsResponse() const
{
    metrics->update(snapshot());
    if (tracer) {
        const Tracer::Stats t = tracer->stats();
        metrics->updateTracing(t.exported, t.dropped, t.failures);
    }
    return {200, QByteArray(Metrics::ContentType), metrics->exposition()};
}

void Observability::Private::outageStep(Outage &outage, const char *target, bool failed, bool connected,
                                        const QString &detail)
{
    const std::int64_t now = TimeFormat::nowUs();
    if (failed) {
        if (outage.sinceUs == 0) {
            outage.sinceUs = now;
            outage.firstReason = detail;
        }
        ++outage.attempts;
        return;
    }
    if (!connected || outage.sinceUs == 0)
        return;
    TraceSpan span = TraceSpan::root(QStringLiteral("%1 reconnect").arg(QLatin1String(target)),
                                     TraceSpan::Kind::Internal, outage.sinceUs, now);
    span.attribute(QStringLiteral("target"), QString::fromLatin1(target))
        .attribute(QStringLiteral("attempts"), outage.attempts)
        .attribute(QStringLiteral("reason"), outage.firstReason)
        .attribute(QStringLiteral("outcome"), QStringLiteral("connected"));
    span.status = TraceSpan::Status::Ok;
    tracer->record(std::move(span));
    outage = Outage{};
}

} // namespace iot
