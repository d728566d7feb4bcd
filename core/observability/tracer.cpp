// SPDX-License-Identifier: MIT
#include "observability/tracer.h"

#include "config/secrets.h"
#include "logging/log.h"
#include "observability/otlpjsonencoder.h"
#include "observability/spanqueue.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace iot {
namespace {

constexpr int DefaultFlushMs = 2000;
constexpr int DefaultWarningMs = 60000;
constexpr int TransferTimeoutMs = 10000;

auto logger()
{
    static auto l = log::get("trace");
    return l;
}

} // namespace

struct Tracer::Private
{
    Tracer *q;
    QUrl endpoint;
    QString shownEndpoint;           // for logs: credentials in the URL masked
    QStringList endpointSecrets;     // what to mask in error text
    OtlpJsonEncoder encoder;
    std::shared_ptr<SpanQueue> queue = std::make_shared<SpanQueue>();
    QNetworkAccessManager network;
    QTimer timer;
    QNetworkReply *reply = nullptr;   // at most one export at a time: a slow collector must not pile up requests
    std::size_t replySpans = 0;
    std::uint64_t exported = 0;
    std::uint64_t failures = 0;
    std::uint64_t failuresSinceWarning = 0;
    int warningIntervalMs = DefaultWarningMs;
    QElapsedTimer sinceWarning;
    bool failing = false;

    Private(Tracer *tracer, const QUrl &url, const QString &serviceName)
        : q(tracer), endpoint(url), shownEndpoint(Secrets::maskUrl(url.toString())),
          endpointSecrets(Secrets::ofUrl(url.toString())), encoder(serviceName, QStringLiteral(IOT_VERSION))
    {
    }
    void onFinished();
    void reportFailure(const QString &error);
};

Tracer::Tracer(const QUrl &endpoint, const QString &serviceName, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>(this, endpoint, serviceName))
{
    d->timer.setInterval(DefaultFlushMs);
    connect(&d->timer, &QTimer::timeout, this, &Tracer::flush);
    d->timer.start();
    // Runs on the recording thread under the queue's lock: only post an event.
    d->queue->setBatchReadyCallback([this] { QMetaObject::invokeMethod(this, &Tracer::flush, Qt::QueuedConnection); });
}

Tracer::~Tracer()
{
    d->queue->setBatchReadyCallback(nullptr);
    if (d->reply) {
        d->reply->disconnect(this);
        d->reply->abort();
    }
}

void Tracer::setFlushIntervalMs(int ms)
{
    d->timer.setInterval(ms);
}

void Tracer::setWarningIntervalMs(int ms)
{
    d->warningIntervalMs = ms;
}

std::shared_ptr<SpanQueue> Tracer::queue() const
{
    return d->queue;
}

void Tracer::record(TraceSpan span)
{
    d->queue->push(std::move(span));
}

Tracer::Stats Tracer::stats() const
{
    return {d->exported, d->queue->dropped(), d->failures};
}

void Tracer::flush()
{
    if (d->reply)
        return;
    const std::vector<TraceSpan> spans = d->queue->takeBatch();
    if (spans.empty())
        return;
    QNetworkRequest request(d->endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray(OtlpJsonEncoder::ContentType));
    request.setTransferTimeout(TransferTimeoutMs);
    // Collectors speak HTTP/1.1; no h2c upgrade round trip.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    d->replySpans = spans.size();
    d->reply = d->network.post(request, d->encoder.encode(spans));
    connect(d->reply, &QNetworkReply::finished, this, [this] { d->onFinished(); });
}

void Tracer::Private::onFinished()
{
    QNetworkReply *r = std::exchange(reply, nullptr);
    r->deleteLater();
    const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const std::size_t spans = std::exchange(replySpans, 0);
    const bool ok = r->error() == QNetworkReply::NoError && status >= 200 && status < 300;
    if (ok) {
        exported += spans;
        if (failing) {
            failing = false;
            logger()->info("trace export to {} works again", shownEndpoint);
        }
    } else {
        queue->countDropped(spans);
        reportFailure(status > 0 ? QStringLiteral("HTTP %1 %2").arg(status).arg(QString::fromUtf8(r->readAll().left(200)))
                                 : r->errorString());
    }
    Q_EMIT q->exportFinished(ok, int(spans));
    // A full batch waiting means spans arrive faster than the timer would send them.
    if (queue->size() >= queue->batchSize())
        QMetaObject::invokeMethod(q, &Tracer::flush, Qt::QueuedConnection);
}

void Tracer::Private::reportFailure(const QString &rawError)
{
    // Qt's error text repeats the URL, the collector's body may too.
    const QString error = Secrets::scrub(rawError, endpointSecrets);
    ++failures;
    ++failuresSinceWarning;
    failing = true;
    // An unreachable collector would otherwise log every two seconds, forever.
    if (sinceWarning.isValid() && sinceWarning.elapsed() < warningIntervalMs)
        return;
    sinceWarning.start();
    log::withFields(*logger(), spdlog::level::warn,
                    {{"endpoint", shownEndpoint}, {"error", error},
                     {"failures", static_cast<std::int64_t>(failuresSinceWarning)}},
                    "trace export to {} failed: {} ({} failed exports, {} spans dropped so far; next warning in "
                    "{} s at the earliest)",
                    shownEndpoint, error, failures, queue->dropped(), warningIntervalMs / 1000);
    failuresSinceWarning = 0;
}

void Tracer::flushAndWait(int timeoutMs)
{
    // A collector that is already failing gets no grace period: shutdown must not wait for it.
    const QDeadlineTimer deadline(timeoutMs);
    while (!d->failing && !deadline.hasExpired()) {
        flush();
        if (!d->reply)
            return;
        QEventLoop loop;
        connect(this, &Tracer::exportFinished, &loop, &QEventLoop::quit);
        QTimer::singleShot(std::max<qint64>(1, deadline.remainingTime()), &loop, &QEventLoop::quit);
        loop.exec();
    }
}

} // namespace iot
