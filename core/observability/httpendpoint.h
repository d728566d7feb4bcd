// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

#include <functional>

class QTcpSocket;

namespace iot {

/// A deliberately small HTTP/1.1 server for /metrics and the health checks: GET only, one request per connection
/// (Connection: close), bounded request size, idle connections and connection count. Lives on the main thread,
/// so an answer proves that the main event loop turns.
class HttpEndpoint final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpEndpoint)
public:
    struct Response
    {
        int status = 200;
        QByteArray contentType = QByteArrayLiteral("text/plain; charset=utf-8");
        QByteArray body;
    };
    using Handler = std::function<Response()>;

    explicit HttpEndpoint(QObject *parent = nullptr);
    ~HttpEndpoint() override;

    /// Answers GET `path` (exact match, query string ignored) with what `handler` returns.
    void addRoute(const QByteArray &path, Handler handler);
    Status listen(const QHostAddress &address, quint16 port);
    quint16 port() const;

    void setLimits(int maxRequestBytes, int idleTimeoutMs, int maxConnections);

    static QByteArray reasonPhrase(int status);

private:
    void accept();
    void readRequest(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const Response &response, const QByteArray &extraHeaders = {});

    QTcpServer m_server;
    QHash<QByteArray, Handler> m_routes;
    int m_maxRequestBytes = 8192;
    int m_idleTimeoutMs = 10000;
    int m_maxConnections = 32;
    int m_connections = 0;
};

} // namespace iot
