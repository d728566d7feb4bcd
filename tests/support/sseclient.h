// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QTcpSocket>

namespace iot::test {

/// A watcher of /api/v1/stream (Server-Sent Events) as a dashboard would be: connects, sends the request and
/// parses `event: status` blocks as they arrive, stamping each with the test's clock. Lives on the test's thread.
class SseClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SseClient)
public:
    struct Event
    {
        qint64 atMs = 0;         // clock().elapsed() when it arrived
        QJsonObject status;
    };

    explicit SseClient(QObject *parent = nullptr);
    void open(quint16 port, const QByteArray &path = "/api/v1/stream", const QByteArray &extraHeaders = {});

    int status() const { return m_status; }   // the HTTP status once the head arrived, else 0
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    const QList<Event> &events() const { return m_events; }
    const QElapsedTimer &clock() const { return m_clock; }

private:
    void parse();

    QTcpSocket m_socket;
    QElapsedTimer m_clock;
    QByteArray m_buffer;
    bool m_headDone = false;
    int m_status = 0;
    QList<Event> m_events;
};

} // namespace iot::test
