// SPDX-License-Identifier: MIT
#include "observability/httpendpoint.h"

#include "observability/httprequestparser.h"

#include <QFile>
#include <QHash>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTimer>

#include <optional>

namespace iot {
namespace {

constexpr char PlainText[] = "text/plain; charset=utf-8";

/// Hands out QSslSocket for TLS so that the handshake happens on a socket we already count and time: Qt 6.4's
/// QSslServer keeps a socket to itself until its handshake ends and has no handshake timeout, so a client that
/// connects and never says hello would hold a socket outside every limit.
class Listener final : public QTcpServer
{
public:
    std::optional<QSslConfiguration> tls;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        if (!tls) {
            QTcpServer::incomingConnection(descriptor);
            return;
        }
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setSslConfiguration(*tls);
        addPendingConnection(socket);
    }
};

/// The address limits count against: IPv4 as is (also when it arrives IPv4-mapped on a dual-stack socket), IPv6
/// by its /64, which one host usually has to itself.
QHostAddress clientOf(const QHostAddress &peer)
{
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    if (isV4)
        return QHostAddress(v4);
    Q_IPV6ADDR a = peer.toIPv6Address();
    for (int i = 8; i < 16; ++i)
        a[i] = 0;
    return QHostAddress(a);
}

struct Connection
{
    QHostAddress client;
    bool loopback = false;   // the local user: trusted with internal detail when no token is set
    quint64 order = 0;       // accept order: the oldest unanswered one goes first when room is needed
    bool answered = false;
    QTimer *deadline = nullptr;
    QByteArray stream;       // the stream route this connection follows (empty: an ordinary request)
};

} // namespace

struct HttpEndpoint::Private
{
    struct Route
    {
        Access access = Access::Token;
        Handler handler;
        bool stream = false;
    };

    Listener server;
    QHash<QByteArray, Route> routes;
    Limits limits;
    BearerToken token;
    QHash<QTcpSocket *, Connection> connections;
    QHash<QHostAddress, int> perClient;
    quint64 accepted = 0;
    quint64 streamsCut = 0;

    /// The oldest connection of `client` that has not sent its head yet: the one to give up for a newcomer.
    QTcpSocket *oldestWaiting(const QHostAddress &client) const
    {
        QTcpSocket *victim = nullptr;
        quint64 order = 0;
        for (auto it = connections.cbegin(); it != connections.cend(); ++it) {
            if (it->answered || it->client != client || (victim && it->order >= order))
                continue;
            victim = it.key();
            order = it->order;
        }
        return victim;
    }

    QHostAddress busiestClient() const
    {
        QHostAddress busiest;
        int most = 0;
        for (auto it = perClient.cbegin(); it != perClient.cend(); ++it) {
            if (it.value() > most) {
                busiest = it.key();
                most = it.value();
            }
        }
        return busiest;
    }
};

HttpEndpoint::HttpEndpoint(QObject *parent) : QObject(parent), d(std::make_unique<Private>())
{
    connect(&d->server, &QTcpServer::newConnection, this, &HttpEndpoint::accept);
}

HttpEndpoint::~HttpEndpoint()
{
    // The server deletes its sockets as it goes; none may call back into a half-destroyed endpoint.
    d->server.close();
    for (QTcpSocket *socket : d->server.findChildren<QTcpSocket *>())
        socket->disconnect(this);
}

void HttpEndpoint::addRoute(const QByteArray &path, Access access, Handler handler)
{
    d->routes.insert(path, {access, std::move(handler), false});
}

void HttpEndpoint::addStreamRoute(const QByteArray &path, Access access, Handler handler)
{
    d->routes.insert(path, {access, std::move(handler), true});
}

int HttpEndpoint::broadcast(const QByteArray &path, const QByteArray &chunk)
{
    QList<QTcpSocket *> stalled;
    int written = 0;
    for (auto it = d->connections.cbegin(); it != d->connections.cend(); ++it) {
        if (it->stream != path)
            continue;
        QTcpSocket *socket = it.key();
        if (socket->bytesToWrite() + chunk.size() > d->limits.maxStreamBacklogBytes) {
            stalled << socket;
            continue;
        }
        socket->write(chunk);
        ++written;
    }
    for (QTcpSocket *socket : std::as_const(stalled)) {
        ++d->streamsCut;
        drop(socket);
    }
    return written;
}

int HttpEndpoint::streamCount(const QByteArray &path) const
{
    int n = 0;
    for (const Connection &c : std::as_const(d->connections))
        n += c.stream == path ? 1 : 0;
    return n;
}

quint64 HttpEndpoint::streamsCut() const
{
    return d->streamsCut;
}

void HttpEndpoint::setLimits(const Limits &limits)
{
    d->limits = limits;
}

void HttpEndpoint::setToken(BearerToken token)
{
    d->token = std::move(token);
}

Status HttpEndpoint::setTls(const QString &certFile, const QString &keyFile)
{
    if (!QSslSocket::supportsSsl())
        return Error{QStringLiteral("TLS is not available: Qt found no TLS backend (OpenSSL 3)")};
    QFile cert(certFile);
    if (!cert.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("cannot read the certificate %1: %2").arg(certFile, cert.errorString())};
    const QList<QSslCertificate> chain = QSslCertificate::fromData(cert.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull())
        return Error{QStringLiteral("%1 holds no PEM certificate").arg(certFile)};
    QFile keyFileIo(keyFile);
    if (!keyFileIo.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("cannot read the key %1: %2").arg(keyFile, keyFileIo.errorString())};
    const QByteArray keyPem = keyFileIo.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa, QSsl::Dh}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull())
        return Error{QStringLiteral("%1 holds no unencrypted PEM private key (RSA or EC)").arg(keyFile)};
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone);  // clients prove themselves with the token, not certificates
    config.setProtocol(QSsl::TlsV1_2OrLater);
    d->server.tls = config;
    return Ok{};
}

bool HttpEndpoint::tls() const
{
    return d->server.tls.has_value();
}

Status HttpEndpoint::listen(const QHostAddress &address, quint16 port)
{
    if (!d->server.listen(address, port))
        return Error{QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(address.toString())
                         .arg(port)
                         .arg(d->server.errorString())};
    return Ok{};
}

quint16 HttpEndpoint::port() const
{
    return d->server.serverPort();
}

int HttpEndpoint::connectionCount() const
{
    return int(d->connections.size());
}

QByteArray HttpEndpoint::reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
    case 401: return QByteArrayLiteral("Unauthorized");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 503: return QByteArrayLiteral("Service Unavailable");
    default: return QByteArrayLiteral("Unknown");
    }
}

void HttpEndpoint::accept()
{
    while (QTcpSocket *socket = d->server.nextPendingConnection())
        admit(socket);
}

void HttpEndpoint::admit(QTcpSocket *socket)
{
    const QHostAddress peer = socket->peerAddress();
    const QHostAddress client = clientOf(peer);
    // When room is needed, a connection that has not sent its head yet gives way: from this client when it is at
    // its own limit, else from the client holding the most. A probe sends its head at once, so idle connections
    // can push out only each other, never the probe.
    QTcpSocket *victim = nullptr;
    bool full = false;
    if (d->perClient.value(client) >= d->limits.maxPerClient) {
        full = true;
        victim = d->oldestWaiting(client);
    } else if (d->connections.size() >= d->limits.maxConnections) {
        full = true;
        victim = d->oldestWaiting(d->busiestClient());
    }
    if (full && !victim) {
        socket->abort();
        socket->deleteLater();
        return;
    }
    if (victim)
        drop(victim);

    auto *deadline = new QTimer(socket);
    deadline->setSingleShot(true);
    d->connections.insert(socket, Connection{client, peer.isLoopback() || client.isLoopback(), d->accepted++, false,
                                             deadline, {}});
    ++d->perClient[client];
    // Bounded before anything is parsed: a head longer than the limit is refused, so more is never needed.
    socket->setReadBufferSize(d->limits.maxRequestBytes + 1);
    connect(deadline, &QTimer::timeout, this, [this, socket] { drop(socket); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readRequest(socket); });
    connect(socket, &QAbstractSocket::disconnected, this, [this, socket] { drop(socket); });
    // A closing client is handled by `disconnected` (after our answer is out); any other error ends it now.
    connect(socket, &QAbstractSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            drop(socket);
    });
    deadline->start(d->limits.headerTimeoutMs);
    if (auto *tls = qobject_cast<QSslSocket *>(socket))
        tls->startServerEncryption();
}

void HttpEndpoint::drop(QTcpSocket *socket)
{
    const auto it = d->connections.constFind(socket);
    if (it == d->connections.cend())
        return;
    if (--d->perClient[it->client] <= 0)
        d->perClient.remove(it->client);
    d->connections.erase(it);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void HttpEndpoint::readRequest(QTcpSocket *socket)
{
    const auto it = d->connections.find(socket);
    if (it == d->connections.end() || it->answered) {
        socket->readAll();
        return;
    }
    // Peek until the head is complete, so a request split over many segments costs no copies of our own.
    const HttpRequestParser::Result parsed
        = HttpRequestParser::parse(socket->peek(d->limits.maxRequestBytes + 1), d->limits.maxRequestBytes);
    switch (parsed.outcome) {
    case HttpRequestParser::Outcome::Incomplete:
        return;
    case HttpRequestParser::Outcome::Malformed:
        respond(socket, {400, PlainText, "bad request\n"});
        return;
    case HttpRequestParser::Outcome::TooLarge:
        respond(socket, {431, PlainText, "request too large\n"});
        return;
    case HttpRequestParser::Outcome::Complete:
        break;
    }
    const HttpRequestParser::Request &r = parsed.request;
    QByteArray extraHeaders;
    bool stream = false;
    const Response response = route(it->loopback, r.method, r.path, r.target, r.authorization, extraHeaders, stream);
    if (stream && response.status == 200)
        openStream(socket, r.path, response);
    else
        respond(socket, response, extraHeaders);
}

HttpEndpoint::Response HttpEndpoint::route(bool loopback, const QByteArray &method, const QByteArray &path,
                                           const QByteArray &target, const QByteArray &authorization, QByteArray &extraHeaders,
                                           bool &stream)
{
    if (method != "GET") {
        extraHeaders = QByteArrayLiteral("Allow: GET\r\n");
        return {405, PlainText, "only GET is supported\n"};
    }
    const auto route = d->routes.constFind(path);
    if (route == d->routes.constEnd())
        return {404, PlainText, "not found\n"};
    const bool tokenSet = !d->token.isEmpty();
    const bool tokenOk = tokenSet && d->token.accepts(authorization);
    if (route->access == Access::Token && tokenSet && !tokenOk) {
        // RFC 6750 §3: say which scheme, and whether a token came and was wrong.
        extraHeaders = authorization.isEmpty()
            ? QByteArrayLiteral("WWW-Authenticate: Bearer realm=\"iot-subscriber\"\r\n")
            : QByteArrayLiteral("WWW-Authenticate: Bearer realm=\"iot-subscriber\", error=\"invalid_token\"\r\n");
        return {401, PlainText, "a bearer token is required\n"};
    }
    const bool authenticated = tokenOk || (!tokenSet && loopback);
    stream = route->stream;
    const qsizetype question = target.indexOf('?');
    return route->handler(Request{path, question < 0 ? QByteArray() : target.mid(question + 1), authenticated});
}

void HttpEndpoint::respond(QTcpSocket *socket, const Response &response, const QByteArray &extraHeaders)
{
    Connection &c = d->connections[socket];
    c.answered = true;
    // The client gets a bounded time to take the answer; what it sends meanwhile is read and dropped, since
    // unread input at close() would make the kernel answer with a reset that can overtake the response.
    c.deadline->start(d->limits.responseTimeoutMs);
    socket->setReadBufferSize(0);
    socket->readAll();
    QByteArray out;
    out.reserve(response.body.size() + 200);
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    out += "Content-Type: " + response.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\nConnection: close\r\n" + extraHeaders + "\r\n";
    out += response.body;
    socket->write(out);
    socket->disconnectFromHost();
}

void HttpEndpoint::openStream(QTcpSocket *socket, const QByteArray &path, const Response &response)
{
    Connection &c = d->connections[socket];
    c.answered = true;
    c.stream = path;
    // No deadline: the stream lasts until the client goes or stops taking data (broadcast() cuts it then).
    c.deadline->stop();
    socket->setReadBufferSize(0);
    socket->readAll();
    socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, d->limits.streamSendBufferBytes);
    QByteArray out = "HTTP/1.1 200 OK\r\nContent-Type: " + response.contentType
        + "\r\nCache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n";
    out += response.body;
    socket->write(out);
}

} // namespace iot
