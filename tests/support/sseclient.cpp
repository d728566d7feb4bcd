// SPDX-License-Identifier: MIT
#include "sseclient.h"

#include <QJsonDocument>

namespace iot::test {

SseClient::SseClient(QObject *parent) : QObject(parent)
{
    m_clock.start();
    connect(&m_socket, &QTcpSocket::readyRead, this, &SseClient::parse);
}

void SseClient::open(quint16 port, const QByteArray &path, const QByteArray &extraHeaders)
{
    connect(&m_socket, &QTcpSocket::connected, this, [this, path, extraHeaders] {
        m_socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + extraHeaders
                       + "\r\n");
    });
    m_socket.connectToHost(QHostAddress::LocalHost, port);
}

void SseClient::parse()
{
    m_buffer += m_socket.readAll();
    if (!m_headDone) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        m_status = m_buffer.mid(9, 3).toInt();
        m_buffer.remove(0, end + 4);
        m_headDone = true;
    }
    // Blocks end with a blank line; only "data:" of "event: status" blocks matter here.
    for (qsizetype end = m_buffer.indexOf("\n\n"); end >= 0; end = m_buffer.indexOf("\n\n")) {
        const QByteArray block = m_buffer.left(end);
        m_buffer.remove(0, end + 2);
        if (!block.contains("event: status\n"))
            continue;
        const qsizetype data = block.indexOf("data: ");
        if (data >= 0)
            m_events.append({m_clock.elapsed(), QJsonDocument::fromJson(block.mid(data + 6)).object()});
    }
}

} // namespace iot::test
