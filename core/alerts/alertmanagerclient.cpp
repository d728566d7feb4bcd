// SPDX-License-Identifier: MIT
#include "alerts/alertmanagerclient.h"

#include "logging/log.h"
#include "util/timeformat.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>

namespace iot {

namespace {

constexpr qint64 RetryBaseUs = 5'000'000;

QString rfc3339(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString keyOf(const AlertEvent &e)
{
    return e.ruleName + QChar(u'\x1f') + e.topic;
}

} // namespace

AlertmanagerClient::AlertmanagerClient(const QString &baseUrl, double resendIntervalSec, QString instance,
                                       QObject *parent)
    : QObject(parent),
      m_resendUs(qint64(resendIntervalSec * 1e6)),
      m_instance(std::move(instance)),
      m_network(new QNetworkAccessManager(this))
{
    QString base = baseUrl;
    while (base.endsWith(u'/'))
        base.chop(1);
    m_url = QUrl(base + QStringLiteral("/api/v2/alerts"));
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &AlertmanagerClient::tick);
    m_timer.start();
}

AlertmanagerClient::~AlertmanagerClient() = default;

void AlertmanagerClient::add(const AlertEvent &event)
{
    if (event.kind == AlertEvent::Kind::Fired) {
        m_firing.insert(keyOf(event), event);
    } else {
        m_firing.remove(keyOf(event));
        m_resolved.append(event);
    }
    m_dirty = true;
    tick();
}

QByteArray AlertmanagerClient::encode(const QList<AlertEvent> &alerts, const QString &instance, qint64 firingEndsAtUs)
{
    QJsonArray array;
    for (const AlertEvent &e : alerts) {
        QJsonObject labels{{QStringLiteral("alertname"), e.ruleName}, {QStringLiteral("rule"), e.ruleName},
                           {QStringLiteral("severity"), e.severity}, {QStringLiteral("instance"), instance}};
        if (!e.topic.isEmpty())
            labels.insert(QStringLiteral("topic"), e.topic);
        QJsonObject annotations;
        if (!e.summary.isEmpty())
            annotations.insert(QStringLiteral("summary"), e.summary);
        if (!e.description.isEmpty())
            annotations.insert(QStringLiteral("description"), e.description);
        annotations.insert(QStringLiteral("value"), QString::number(e.value, 'g', 10));
        const bool resolved = e.kind == AlertEvent::Kind::Resolved;
        array.append(QJsonObject{{QStringLiteral("labels"), labels}, {QStringLiteral("annotations"), annotations},
                                 {QStringLiteral("startsAt"), rfc3339(e.startsAtUs)},
                                 {QStringLiteral("endsAt"), rfc3339(resolved ? e.atUs : firingEndsAtUs)}});
    }
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

void AlertmanagerClient::tick()
{
    if (m_inFlight)
        return;
    const qint64 now = TimeFormat::nowUs();
    const bool resendDue = !m_firing.isEmpty() && now - m_lastPostUs >= m_resendUs;
    const bool retryDue = m_retryAtUs != 0 && now >= m_retryAtUs;
    const bool fresh = m_dirty && m_retryAtUs == 0;
    if (resendDue || retryDue || fresh)
        post();
}

void AlertmanagerClient::post()
{
    const qint64 now = TimeFormat::nowUs();
    QList<AlertEvent> all = m_firing.values();
    const qsizetype resolvedCount = m_resolved.size();
    all += m_resolved;
    QNetworkRequest request(m_url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(10000);
    m_inFlight = true;
    m_dirty = false;
    m_lastPostUs = now;
    ++m_posts;
    QNetworkReply *reply = m_network->post(request, encode(all, m_instance, now + 4 * m_resendUs));
    connect(reply, &QNetworkReply::finished, this, [this, reply, resolvedCount, count = int(all.size())] {
        reply->deleteLater();
        m_inFlight = false;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() == QNetworkReply::NoError && status / 100 == 2) {
            m_resolved.remove(0, std::min(resolvedCount, m_resolved.size()));
            m_retryAtUs = 0;
            m_failedInARow = 0;
            Q_EMIT delivered(count);
            return;
        }
        ++m_failures;
        ++m_failedInARow;
        m_dirty = true;
        const qint64 delay = std::min(m_resendUs, RetryBaseUs * (qint64(1) << std::min(m_failedInARow - 1, 6)));
        m_retryAtUs = TimeFormat::nowUs() + delay;
        const QString error = reply->errorString();
        log::get("alerts")->warn("alertmanager: POST {} failed ({}); retrying in {:.0f} s",
                                 m_url.toString(QUrl::RemoveUserInfo).toStdString(), error.toStdString(),
                                 double(delay) / 1e6);
        Q_EMIT deliveryFailed(error);
    });
}

} // namespace iot
