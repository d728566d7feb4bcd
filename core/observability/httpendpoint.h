// SPDX-License-Identifier: MIT
#pragma once

#include "observability/bearertoken.h"
#include "util/result.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

#include <functional>
#include <memory>

class QTcpSocket;

namespace iot {

/// A deliberately small HTTP/1.1 server for /metrics, the health checks and the status API: GET only, one request
/// per connection (Connection: close; a stream route keeps it open for Server-Sent Events), optional bearer token and TLS, and limits that keep one client from starving the others
/// (connections per client, a deadline for the request head). Lives on the main thread, so an answer proves that
/// the main event loop turns.
class HttpEndpoint final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpEndpoint)
public:
    /// Who may fetch a route once a token is set: Open routes answer everyone (the handler decides how much to
    /// say), Token routes answer 401 without the token. With no token set, every route is open.
    enum class Access { Open, Token };

    struct Request
    {
        QByteArray path;
        QByteArray query;   // after '?', as sent ("since=12&limit=5"); empty when none
        /// The request carries the token; or no token is set and it comes from a loopback address (the local
        /// user, whom the program trusts anyway). Handlers show internal detail only then.
        bool authenticated = false;
    };
    struct Response
    {
        int status = 200;
        QByteArray contentType = QByteArrayLiteral("text/plain; charset=utf-8");
        QByteArray body;
    };
    using Handler = std::function<Response(const Request &)>;

    struct Limits
    {
        int maxRequestBytes = 8192;     // request line + header fields
        int headerTimeoutMs = 2000;     // from accept to the complete head, TLS handshake included
        int responseTimeoutMs = 5000;   // for the client to take the answer before the connection is cut
        int maxConnections = 64;        // in all
        int maxPerClient = 8;           // per client address (IPv6: per /64)
        int maxStreamBacklogBytes = 16384;  // a stream's answer not yet taken by its client: beyond it, it is cut
        int streamSendBufferBytes = 8192;   // the kernel's send buffer of a stream (small: a stall shows soon)
    };

    explicit HttpEndpoint(QObject *parent = nullptr);
    ~HttpEndpoint() override;

    /// Answers GET `path` (exact match, query string ignored) with what `handler` returns.
    void addRoute(const QByteArray &path, Access access, Handler handler);
    /// A route that stays open (Server-Sent Events): a 200 answer is sent as `text/event-stream` without a length,
    /// its body is the first chunk, and later chunks come from broadcast(). Any other status ends it as usual.
    void addStreamRoute(const QByteArray &path, Access access, Handler handler);
    /// Writes `chunk` to every open stream of `path`. A client that has not taken maxStreamBacklogBytes of what was
    /// sent before is cut instead (a stalled watcher costs bounded memory and never holds anything back).
    /// Returns the streams written to.
    int broadcast(const QByteArray &path, const QByteArray &chunk);
    /// Open streams of `path`, and streams cut for not taking their data since the start.
    int streamCount(const QByteArray &path) const;
    quint64 streamsCut() const;
    void setLimits(const Limits &limits);
    /// Requires `token` on Access::Token routes from now on; an empty token turns authentication off.
    void setToken(BearerToken token);
    /// Serves TLS only from the next accepted connection on: the PEM certificate (chain) and unencrypted PEM key.
    Status setTls(const QString &certFile, const QString &keyFile);
    bool tls() const;
    Status listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    /// Connections held now (for tests and the limits).
    int connectionCount() const;

    static QByteArray reasonPhrase(int status);

private:
    struct Private;

    void accept();
    void admit(QTcpSocket *socket);
    void readRequest(QTcpSocket *socket);
    Response route(bool loopback, const QByteArray &method, const QByteArray &path, const QByteArray &target,
                   const QByteArray &authorization, QByteArray &extraHeaders, bool &stream);
    void respond(QTcpSocket *socket, const Response &response, const QByteArray &extraHeaders = {});
    void openStream(QTcpSocket *socket, const QByteArray &path, const Response &response);
    void drop(QTcpSocket *socket);

    std::unique_ptr<Private> d;
};

} // namespace iot
