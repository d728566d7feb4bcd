// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace iot {

/// One instance of the site as the fleet view sees it: polls its /api/v1/status (docs/api.md) with the bearer token
/// and judges its health — ok / warning / error from the instance's own verdict, unreachable when no answer came for
/// UnreachableAfterMs — keeping the last status (stale from then on, never shown as current). Read only: it sends
/// nothing but GETs. Lives on the GUI thread.
class RemoteInstance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteInstance)
public:
    enum class Health { Unknown, Ok, Warning, Error, Unreachable };
    Q_ENUM(Health)

    static constexpr int PollIntervalMs = 500;
    static constexpr int RequestTimeoutMs = 2000;
    static constexpr int UnreachableAfterMs = 3500;   // + one poll and some slack: marked within 5 s

    /// `baseUrl`: "http://host:8001" (or https); `token` empty when the instance has none (loopback only).
    RemoteInstance(QUrl baseUrl, QByteArray token, QObject *parent = nullptr);
    ~RemoteInstance() override;

    void start();
    QUrl url() const { return m_url; }
    /// The bearer token it sends (empty: none), for other readers of the same instance's API (RemoteFeed).
    QByteArray token() const { return m_token; }
    /// The name the operator gave it (empty: the instance's own name from its status is shown).
    QString name() const { return m_name; }
    void setName(const QString &name) { m_name = name; }
    /// Sends `token` from now on (the operator edited it): a pending poll is dropped and a new one goes out at once,
    /// so a refused token that was fixed turns ok without a restart.
    void setToken(const QByteArray &token);
    Health health() const { return m_health; }
    /// Why it is not ok, in words (the refused token, the connection error, the instance's own reasons).
    QString problem() const { return m_problem; }
    /// The last status answered (empty before the first); stale() says whether it is still current.
    QJsonObject status() const { return m_status; }
    bool stale() const;
    static QString healthName(Health health);

Q_SIGNALS:
    void updated();

private:
    void poll();
    void answered(QNetworkReply *reply);
    void setHealth(Health health, const QString &problem);

    QUrl m_url;
    QString m_name;
    QByteArray m_token;
    QNetworkAccessManager *m_network = nullptr;
    QNetworkReply *m_pending = nullptr;
    QTimer m_timer;
    QElapsedTimer m_sinceAnswer;   // since the last good status (invalid before the first)
    QElapsedTimer m_sinceStart;
    Health m_health = Health::Unknown;
    bool m_refused = false;        // 401: an error until the token changes, not an outage
    QString m_problem;
    QJsonObject m_status;
};

} // namespace iot
