// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"

#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>

class QNetworkAccessManager;

namespace iot {

/// Delivers alerts to an Alertmanager (POST /api/v2/alerts): a firing alert at once and again every resend
/// interval with endsAt = now + 4 × interval (as Prometheus does), a resolved one with endsAt = its resolve time;
/// a failed POST is retried (every 5 s, up to the resend interval) with everything still due. Lives on the main
/// thread; the network is asynchronous, so ingestion never waits for it.
class AlertmanagerClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertmanagerClient)
public:
    AlertmanagerClient(const QString &baseUrl, double resendIntervalSec, QString instance, QObject *parent = nullptr);
    ~AlertmanagerClient() override;

    void add(const AlertEvent &event);

    quint64 posts() const { return m_posts; }
    quint64 failures() const { return m_failures; }

    /// The v2 API's JSON array for these alerts (labels, annotations, startsAt, endsAt).
    static QByteArray encode(const QList<AlertEvent> &alerts, const QString &instance, qint64 firingEndsAtUs);

Q_SIGNALS:
    void delivered(int alerts);
    void deliveryFailed(const QString &error);

private:
    void tick();
    void post();

    QUrl m_url;
    qint64 m_resendUs;
    QString m_instance;
    QNetworkAccessManager *m_network;
    QTimer m_timer;
    QHash<QString, AlertEvent> m_firing;   // by rule + topic
    QList<AlertEvent> m_resolved;          // not yet delivered
    qint64 m_lastPostUs = 0;
    qint64 m_retryAtUs = 0;                // 0: nothing to retry
    int m_failedInARow = 0;
    bool m_dirty = false;                  // a change not yet posted
    bool m_inFlight = false;
    quint64 m_posts = 0;
    quint64 m_failures = 0;
};

} // namespace iot
