// SPDX-License-Identifier: MIT
#include "observability/httpendpoint.h"

#include <QTcpSocket>
#include <QTimer>

namespace iot {
namespace {

// Set on a socket once it has its answer: later bytes are read and ignored while the socket closes.
constexpr char AnsweredProperty[] = "iotAnswered";

} // namespace

HttpEndpoint::HttpEndpoint(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &HttpEndpoint::accept);
}

HttpEndpoint::~HttpEndpoint() = default;

void HttpEndpoint::addRoute(const QByteArray &path, Handler handler)
{
    m_routes.insert(path, std::move(handler));
}

void HttpEndpoint::setLimits(int maxRequestBytes, int idleTimeoutMs, int maxConnections)
{
    m_maxRequestBytes = maxRequestBytes;
    m_idleTimeoutMs = idleTimeoutMs;
    m_maxConnections = maxConnections;
}

Status HttpEndpoint::listen(const QHostAddress &address, quint16 port)
{
    if (!m_server.listen(address, port))
        return Error{QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(address.toString())
                         .arg(port)
                         .arg(m_server.errorString())};
    return Ok{};
}

quint16 HttpEndpoint::port() const
{
    return m_server.serverPort();
}

QByteArray HttpEndpoint::reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
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
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        if (m_connections >= m_maxConnections) {
            // A scraper needs one connection; many at once are a bug or an attack, not a reason to allocate.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_connections;
        connect(socket, &QObject::destroyed, this, [this] { --m_connections; });
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readRequest(socket); });
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        connect(idle, &QTimer::timeout, socket, [socket] {
            socket->abort();
            socket->deleteLater();
        });
        idle->start(m_idleTimeoutMs);
    }
}

void HttpEndpoint::readRequest(QTcpSocket *socket)
{
    if (socket->property(AnsweredProperty).toBool()) {
        socket->readAll();
        return;
    }
    // Peek until the head is complete, so a request split over many segments costs no copies of our own.
    const QByteArray head = socket->peek(m_maxRequestBytes + 1);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > m_maxRequestBytes) {
        if (head.size() > m_maxRequestBytes)
            respond(socket, {431, QByteArrayLiteral("text/plain; charset=utf-8"), "request too large\n"});
        return;
    }
    const QList<QByteArray> requestLine = head.left(head.indexOf("\r\n")).split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.") || !requestLine[1].startsWith('/')) {
        respond(socket, {400, QByteArrayLiteral("text/plain; charset=utf-8"), "bad request\n"});
        return;
    }
    if (requestLine[0] != "GET") {
        respond(socket, {405, QByteArrayLiteral("text/plain; charset=utf-8"), "only GET is supported\n"},
                QByteArrayLiteral("Allow: GET\r\n"));
        return;
    }
    const QByteArray &target = requestLine[1];
    const qsizetype query = target.indexOf('?');
    const QByteArray path = query < 0 ? target : target.left(query);
    const auto route = m_routes.constFind(path);
    if (route == m_routes.constEnd()) {
        respond(socket, {404, QByteArrayLiteral("text/plain; charset=utf-8"), "not found\n"});
        return;
    }
    respond(socket, (*route)());
}

void HttpEndpoint::respond(QTcpSocket *socket, const Response &response, const QByteArray &extraHeaders)
{
    socket->setProperty(AnsweredProperty, true);
    // Unread input at close() would make the kernel answer with a reset that can overtake our response.
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

} // namespace iot
