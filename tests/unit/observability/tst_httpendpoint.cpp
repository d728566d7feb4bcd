// SPDX-License-Identifier: MIT
#include "httpclient.h"
#include "observability/httpendpoint.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace iot;
using iot::test::HttpResult;
using iot::test::httpRequest;

/// The small HTTP server behind /metrics, /healthz and /readyz: routing, status codes, limits.
/// Server and client share the test's thread: the client helper spins an event loop while it waits.
class TstHttpEndpoint final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void requests_data();
    void requests();
    void responseHeaders();
    void oversizedRequest();
    void requestInPieces();
    void idleConnectionIsClosed();
    void connectionLimit();
    void portInUse();

private:
    std::unique_ptr<HttpEndpoint> m_http;
};

void TstHttpEndpoint::init()
{
    m_http = std::make_unique<HttpEndpoint>();
    m_http->addRoute("/metrics", [] { return HttpEndpoint::Response{200, "text/plain; version=0.0.4", "m 1\n"}; });
    m_http->addRoute("/readyz", [] {
        return HttpEndpoint::Response{503, "application/json", R"({"status":"not ready"})"};
    });
    const Status st = m_http->listen(QHostAddress::LocalHost, 0);
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().message));
    QVERIFY(m_http->port() != 0);
}

void TstHttpEndpoint::cleanup()
{
    m_http.reset();
}

void TstHttpEndpoint::requests_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    const QByteArray end = " HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("metrics") << "GET /metrics" + end << 200 << QByteArray("m 1\n");
    QTest::newRow("query string ignored") << "GET /metrics?name[]=x" + end << 200 << QByteArray("m 1\n");
    QTest::newRow("HTTP/1.0") << QByteArray("GET /metrics HTTP/1.0\r\n\r\n") << 200 << QByteArray("m 1\n");
    QTest::newRow("handler's status") << "GET /readyz" + end << 503 << QByteArray(R"({"status":"not ready"})");
    QTest::newRow("unknown path") << "GET /metricsx" + end << 404 << QByteArray("not found\n");
    QTest::newRow("root") << "GET /" + end << 404 << QByteArray("not found\n");
    QTest::newRow("POST") << "POST /metrics" + end << 405 << QByteArray("only GET is supported\n");
    QTest::newRow("HEAD") << "HEAD /metrics" + end << 405 << QByteArray("only GET is supported\n");
    QTest::newRow("garbage") << QByteArray("hello\r\n\r\n") << 400 << QByteArray("bad request\n");
    QTest::newRow("HTTP/2") << QByteArray("GET /metrics HTTP/2.0\r\n\r\n") << 400 << QByteArray("bad request\n");
    QTest::newRow("absolute URI") << "GET http://x/metrics" + end << 400 << QByteArray("bad request\n");
}

void TstHttpEndpoint::requests()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    const HttpResult r = httpRequest(m_http->port(), request);
    QCOMPARE(r.status, status);
    QCOMPARE(r.body, body);
    if (status == 405)
        QCOMPARE(r.headers.value("allow"), QByteArray("GET"));
}

void TstHttpEndpoint::responseHeaders()
{
    const HttpResult r = iot::test::httpGet(m_http->port(), "/metrics");
    QCOMPARE(r.status, 200);
    QVERIFY2(r.raw.startsWith("HTTP/1.1 200 OK\r\n"), r.raw.constData());
    QCOMPARE(r.headers.value("content-type"), QByteArray("text/plain; version=0.0.4"));
    QCOMPARE(r.headers.value("content-length").toInt(), r.body.size());
    QCOMPARE(r.headers.value("connection"), QByteArray("close"));
}

void TstHttpEndpoint::oversizedRequest()
{
    m_http->setLimits(1024, 10000, 32);
    const QByteArray big = "GET /metrics HTTP/1.1\r\nX-Pad: " + QByteArray(4000, 'a') + "\r\n\r\n";
    const HttpResult r = httpRequest(m_http->port(), big);
    QCOMPARE(r.status, 431);
    // Just at the limit still works.
    const QByteArray head = "GET /metrics HTTP/1.1\r\nX-Pad: ";
    const QByteArray fits = head + QByteArray(1024 - head.size() - 4, 'a') + "\r\n\r\n";
    QCOMPARE(fits.size(), 1024);
    QCOMPARE(httpRequest(m_http->port(), fits).status, 200);
    // A head that never ends is cut off as soon as it passes the limit, not when the client stops sending.
    QCOMPARE(httpRequest(m_http->port(), "GET /metrics HTTP/1.1\r\nX-Pad: " + QByteArray(2000, 'b')).status, 431);
}

void TstHttpEndpoint::requestInPieces()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
    QByteArray received;
    connect(&socket, &QTcpSocket::readyRead, this, [&] { received += socket.readAll(); });
    socket.write("GET /metr");
    socket.flush();
    QTest::qWait(50);  // let the server see the first piece on its own
    QVERIFY(received.isEmpty());
    socket.write("ics HTTP/1.1\r\nHost: x\r\n");
    socket.flush();
    QTest::qWait(50);
    QVERIFY(received.isEmpty());
    socket.write("\r\n");
    QTRY_VERIFY(received.endsWith("m 1\n"));
    QTRY_COMPARE(socket.state(), QAbstractSocket::UnconnectedState);
}

void TstHttpEndpoint::idleConnectionIsClosed()
{
    m_http->setLimits(8192, 200, 32);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
    socket.write("GET /metrics HTTP/1.1\r\n");  // and never the blank line
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, 3000);
}

void TstHttpEndpoint::connectionLimit()
{
    m_http->setLimits(8192, 10000, 2);
    QTcpSocket a;
    QTcpSocket b;
    QTcpSocket c;
    for (QTcpSocket *s : {&a, &b})
        s->connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_VERIFY(a.state() == QAbstractSocket::ConnectedState && b.state() == QAbstractSocket::ConnectedState);
    // Accepted in order: the third one finds the two slots taken.
    c.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(c.state(), QAbstractSocket::UnconnectedState);
    a.abort();
    b.abort();
    QTRY_COMPARE(iot::test::httpGet(m_http->port(), "/metrics").status, 200);
}

void TstHttpEndpoint::portInUse()
{
    HttpEndpoint second;
    const Status st = second.listen(QHostAddress::LocalHost, m_http->port());
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.contains(QString::number(m_http->port())), qPrintable(st.error().message));
}

QTEST_GUILESS_MAIN(TstHttpEndpoint)
#include "tst_httpendpoint.moc"
