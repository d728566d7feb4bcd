// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QTcpServer>

class QTcpSocket;

namespace iot::test {

/// A stand-in OTLP/HTTP collector: accepts POSTs on a loopback port, keeps their bodies and answers with a set
/// status; checks nothing itself, so that tests can. Lives on the test's thread.
class OtlpReceiver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OtlpReceiver)
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QByteArray contentType;
        QByteArray body;
    };

    explicit OtlpReceiver(QObject *parent = nullptr);
    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    QByteArray url() const;

    void setStatus(int status) { m_status = status; }
    QList<Request> requests() const { return m_requests; }
    /// Every span of every request body so far (resourceSpans[].scopeSpans[].spans[]).
    QList<QJsonObject> spans() const;

    /// What in an ExportTraceServiceRequest body breaks the OTLP JSON encoding (hex ids of 32/16 characters,
    /// nanosecond timestamps as decimal strings, integer enums, typed AnyValues, service.name); empty: valid.
    static QStringList problems(const QByteArray &body);

Q_SIGNALS:
    void received();

private:
    void read(QTcpSocket *socket);

    QTcpServer m_server;
    QList<Request> m_requests;
    int m_status = 200;
};

} // namespace iot::test
