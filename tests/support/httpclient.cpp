// SPDX-License-Identifier: MIT
#include "httpclient.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTimer>

namespace iot::test {

HttpResult httpRequest(quint16 port, const QByteArray &request, int timeoutMs, const QHostAddress &host)
{
    HttpResult result;
    QElapsedTimer clock;
    clock.start();
    QTcpSocket socket;
    QEventLoop loop;
    QObject::connect(&socket, &QTcpSocket::connected, &loop, [&] { socket.write(request); });
    QObject::connect(&socket, &QTcpSocket::readyRead, &loop, [&] { result.raw += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QTcpSocket::errorOccurred, &loop, [&](QAbstractSocket::SocketError e) {
        if (e != QAbstractSocket::RemoteHostClosedError)
            loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    socket.connectToHost(host, port);
    loop.exec();
    result.raw += socket.readAll();
    result.elapsedMs = clock.elapsed();

    const qsizetype headEnd = result.raw.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return result;
    const QList<QByteArray> lines = result.raw.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    if (statusLine.size() < 2 || !statusLine[0].startsWith("HTTP/1."))
        return result;
    result.status = statusLine[1].toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            result.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    result.body = result.raw.mid(headEnd + 4);
    return result;
}

HttpResult httpGet(quint16 port, const QByteArray &path, int timeoutMs, const QByteArray &extraHeaders)
{
    return httpRequest(port,
                       "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extraHeaders + "\r\n",
                       timeoutMs);
}

double metricSample(const QByteArray &exposition, const QByteArray &series)
{
    for (const QByteArray &line : exposition.split('\n'))
        if (line.startsWith(QByteArray(series + ' ')))
            return line.mid(series.size() + 1).toDouble();
    return -1;
}

double scrapeMetric(quint16 port, const QByteArray &series)
{
    return metricSample(httpGet(port, "/metrics").body, series);
}

} // namespace iot::test
