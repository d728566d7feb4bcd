// SPDX-License-Identifier: MIT
#include "remoteinstance.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <utility>

namespace iot {

RemoteInstance::RemoteInstance(QUrl baseUrl, QByteArray token, QObject *parent)
    : QObject(parent), m_url(std::move(baseUrl)), m_token(std::move(token)),
      m_network(new QNetworkAccessManager(this))
{
    m_timer.setInterval(PollIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &RemoteInstance::poll);
}

RemoteInstance::~RemoteInstance()
{
    if (m_pending)
        m_pending->abort();
}

void RemoteInstance::start()
{
    m_sinceStart.start();
    m_timer.start();
    poll();
}

void RemoteInstance::setToken(const QByteArray &token)
{
    if (token == m_token)
        return;
    m_token = token;
    m_refused = false;   // the refusal was of the old token
    if (m_pending) {
        QNetworkReply *reply = std::exchange(m_pending, nullptr);
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (m_timer.isActive())
        poll();
}

bool RemoteInstance::stale() const
{
    return !m_sinceAnswer.isValid() || m_sinceAnswer.elapsed() > UnreachableAfterMs;
}

QString RemoteInstance::healthName(Health health)
{
    switch (health) {
    case Health::Unknown: return QStringLiteral("unknown");
    case Health::Ok: return QStringLiteral("ok");
    case Health::Warning: return QStringLiteral("warning");
    case Health::Error: return QStringLiteral("error");
    case Health::Unreachable: return QStringLiteral("unreachable");
    }
    return {};
}

void RemoteInstance::poll()
{
    // Silence counts from the last good answer (or the start): a slow or dead instance turns unreachable in time
    // even while a request hangs.
    const qint64 silentMs = m_sinceAnswer.isValid() ? m_sinceAnswer.elapsed() : m_sinceStart.elapsed();
    if (silentMs > UnreachableAfterMs && m_health != Health::Unreachable && !m_refused)
        setHealth(Health::Unreachable, m_problem.isEmpty() ? tr("no answer for %1 s").arg(silentMs / 1000) : m_problem);
    if (m_pending)
        return;
    QUrl url = m_url;
    url.setPath(QStringLiteral("/api/v1/status"));
    QNetworkRequest request(url);
    request.setTransferTimeout(RequestTimeoutMs);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token);
    m_pending = m_network->get(request);
    connect(m_pending, &QNetworkReply::finished, this, [this, reply = m_pending] { answered(reply); });
}

void RemoteInstance::answered(QNetworkReply *reply)
{
    reply->deleteLater();
    m_pending = nullptr;
    const int http = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (http == 401) {
        m_refused = true;
        // Not a passing outage: retrying will not help until the operator fixes the token.
        setHealth(Health::Error, m_token.isEmpty()
                                     ? tr("the instance wants a bearer token (401): add its token")
                                     : tr("the instance refused the token (401): check the token for %1")
                                           .arg(m_url.toDisplayString()));
        return;
    }
    if (reply->error() != QNetworkReply::NoError || http != 200) {
        m_problem = reply->errorString();
        const qint64 silentMs = m_sinceAnswer.isValid() ? m_sinceAnswer.elapsed() : m_sinceStart.elapsed();
        if (silentMs > UnreachableAfterMs)
            setHealth(Health::Unreachable, m_problem);
        return;
    }
    const QJsonObject status = QJsonDocument::fromJson(reply->readAll()).object();
    if (status.value(QStringLiteral("api")).toInt() != 1) {
        setHealth(Health::Error, tr("%1 does not answer as an iot-subscriber status API v1")
                                     .arg(m_url.toDisplayString()));
        return;
    }
    m_status = status;
    m_refused = false;
    m_sinceAnswer.start();
    const QJsonObject health = status.value(QStringLiteral("health")).toObject();
    const QString verdict = health.value(QStringLiteral("status")).toString();
    QStringList reasons;
    for (const QJsonValue &r : health.value(QStringLiteral("reasons")).toArray())
        reasons << r.toString();
    const Health h = verdict == QStringLiteral("ok")        ? Health::Ok
                   : verdict == QStringLiteral("warning") ? Health::Warning
                                                           : Health::Error;
    m_health = h;
    m_problem = reasons.join(QStringLiteral("; "));
    Q_EMIT updated();
}

void RemoteInstance::setHealth(Health health, const QString &problem)
{
    m_health = health;
    m_problem = problem;
    Q_EMIT updated();
}

} // namespace iot
