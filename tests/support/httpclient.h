// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QMap>

namespace iot::test {

/// A parsed HTTP/1.1 response; status 0 when the connection failed or timed out.
struct HttpResult
{
    int status = 0;
    QMap<QByteArray, QByteArray> headers;   // lower-case names
    QByteArray body;
    QByteArray raw;
    qint64 elapsedMs = 0;
};

/// Sends `request` as it is and reads until the server closes. Spins a local event loop, so a server in the same
/// thread can answer.
HttpResult httpRequest(quint16 port, const QByteArray &request, int timeoutMs = 5000,
                       const QHostAddress &host = QHostAddress::LocalHost);
/// GET `path` with Connection: close; `extraHeaders` are whole lines ("Authorization: Bearer x\r\n").
HttpResult httpGet(quint16 port, const QByteArray &path, int timeoutMs = 5000, const QByteArray &extraHeaders = {});

/// The value of `series` (its whole name with labels, e.g. `iot_subscriber_messages_total{stage="written"}`) in a
/// Prometheus text exposition; -1 when the series is not there.
double metricSample(const QByteArray &exposition, const QByteArray &series);
/// metricSample() of a fresh GET /metrics on the loopback `port`.
double scrapeMetric(quint16 port, const QByteArray &series);

} // namespace iot::test
