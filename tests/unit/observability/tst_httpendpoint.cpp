// SPDX-License-Identifier: MIT
#include "httpclient.h"
#include "sseclient.h"
#include "observability/httpendpoint.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace iot;
using iot::test::HttpResult;
using iot::test::httpRequest;
using iot::test::httpGet;
using iot::test::SseClient;

/// The small HTTP server behind /metrics, /healthz and /readyz: routing, status codes, the token, limits per client
/// and the deadline for the request head.
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
    void tokenRequired_data();
    void tokenRequired();
    void openRouteWithoutToken();
    void noTokenTrustsLoopback();
    void perClientLimit();
    void manyClientsCannotStarve();
    void headerDeadline();
    void queryReachesTheHandler();
    void streamDeliversBroadcasts();
    void stalledStreamIsCut();

private:
    /// `count` connections from `source` that never send a byte.
    std::vector<std::unique_ptr<QTcpSocket>> idleConnections(int count, const QHostAddress &source);
    std::unique_ptr<HttpEndpoint> m_http;
};

std::vector<std::unique_ptr<QTcpSocket>> TstHttpEndpoint::idleConnections(int count, const QHostAddress &source)
{
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < count; ++i) {
        auto s = std::make_unique<QTcpSocket>();
        // Any 127/8 address reaches a listener on 127.0.0.1: distinct clients on one machine.
        s->bind(source);
        s->connectToHost(QHostAddress::LocalHost, m_http->port());
        sockets.push_back(std::move(s));
    }
    return sockets;
}

void TstHttpEndpoint::init()
{
    m_http = std::make_unique<HttpEndpoint>();
    using Access = HttpEndpoint::Access;
    using Request = HttpEndpoint::Request;
    m_http->addRoute("/metrics", Access::Token, [](const Request &) {
        return HttpEndpoint::Response{200, "text/plain; version=0.0.4", "m 1\n"};
    });
    m_http->addRoute("/readyz", Access::Open, [](const Request &) {
        return HttpEndpoint::Response{503, "application/json", R"({"status":"not ready"})"};
    });
    m_http->addRoute("/whoami", Access::Open, [](const Request &r) {
        return HttpEndpoint::Response{200, "text/plain", r.authenticated ? "authenticated" : "anonymous"};
    });
    m_http->addRoute("/echo", Access::Open, [](const Request &r) {
        return HttpEndpoint::Response{200, "text/plain", r.path + '|' + r.query};
    });
    m_http->addStreamRoute("/stream", Access::Token, [](const Request &) {
        return HttpEndpoint::Response{200, "text/event-stream", "event: status\ndata: {\"n\":0}\n\n"};
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
    QTest::newRow("TLS on the plain port") << QByteArray("\x16\x03\x01\x00\xa5\x01\x00") << 400
                                           << QByteArray("bad request\n");
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
    m_http->setLimits({.maxRequestBytes = 1024});
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
    m_http->setLimits({.headerTimeoutMs = 200});
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
    socket.write("GET /metrics HTTP/1.1\r\n");  // and never the blank line
    QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, 3000);
}

void TstHttpEndpoint::connectionLimit()
{
    m_http->setLimits({.maxConnections = 2});
    QTcpSocket a;
    QTcpSocket b;
    QTcpSocket c;
    for (QTcpSocket *s : {&a, &b})
        s->connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(m_http->connectionCount(), 2);
    // The newcomer gets a slot: the oldest connection that has not sent its head gives way.
    c.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(a.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(b.state(), QAbstractSocket::ConnectedState);
    QCOMPARE(m_http->connectionCount(), 2);
    QCOMPARE(iot::test::httpGet(m_http->port(), "/metrics").status, 200);
}

void TstHttpEndpoint::portInUse()
{
    HttpEndpoint second;
    const Status st = second.listen(QHostAddress::LocalHost, m_http->port());
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.contains(QString::number(m_http->port())), qPrintable(st.error().message));
}

void TstHttpEndpoint::tokenRequired_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("challenge");
    const QByteArray realm = "Bearer realm=\"iot-subscriber\"";
    QTest::newRow("none") << QByteArray() << 401 << realm;
    QTest::newRow("wrong") << QByteArray("Authorization: Bearer nope\r\n") << 401
                           << realm + ", error=\"invalid_token\"";
    QTest::newRow("basic") << QByteArray("Authorization: Basic czNjcjN0\r\n") << 401
                           << realm + ", error=\"invalid_token\"";
    QTest::newRow("right") << QByteArray("Authorization: Bearer s3cr3t\r\n") << 200 << QByteArray();
    QTest::newRow("right, scheme lower case") << QByteArray("authorization: bearer s3cr3t\r\n") << 200 << QByteArray();
}

void TstHttpEndpoint::tokenRequired()
{
    QFETCH(QByteArray, header);
    QFETCH(int, status);
    QFETCH(QByteArray, challenge);
    m_http->setToken(BearerToken(QByteArrayLiteral("s3cr3t")));
    const HttpResult r = iot::test::httpGet(m_http->port(), "/metrics", 5000, header);
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("www-authenticate"), challenge);
    QCOMPARE(r.body.contains("m 1"), status == 200);
}

void TstHttpEndpoint::openRouteWithoutToken()
{
    m_http->setToken(BearerToken(QByteArrayLiteral("s3cr3t")));
    // Open routes answer everyone; only the handler learns whether the token came along.
    HttpResult r = iot::test::httpGet(m_http->port(), "/whoami");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("anonymous"));
    r = iot::test::httpGet(m_http->port(), "/whoami", 5000, "Authorization: Bearer wrong\r\n");
    QCOMPARE(r.body, QByteArray("anonymous"));
    r = iot::test::httpGet(m_http->port(), "/whoami", 5000, "Authorization: Bearer s3cr3t\r\n");
    QCOMPARE(r.body, QByteArray("authenticated"));
}

void TstHttpEndpoint::noTokenTrustsLoopback()
{
    // Authentication off: everything is open, and the local user (loopback) counts as trusted.
    QCOMPARE(iot::test::httpGet(m_http->port(), "/metrics").status, 200);
    QCOMPARE(iot::test::httpGet(m_http->port(), "/whoami").body, QByteArray("authenticated"));
}

void TstHttpEndpoint::perClientLimit()
{
    m_http->setLimits({.maxConnections = 64, .maxPerClient = 4});
    const auto idle = idleConnections(100, QHostAddress::LocalHost);
    QTRY_VERIFY(std::all_of(idle.begin(), idle.end(), [](const auto &s) {
        return s->state() == QAbstractSocket::ConnectedState || s->state() == QAbstractSocket::UnconnectedState;
    }));
    QTRY_COMPARE(m_http->connectionCount(), 4);
    // The same client's probe still gets through: it pushes out an idle one, not the other way round.
    QElapsedTimer clock;
    clock.start();
    const HttpResult r = iot::test::httpGet(m_http->port(), "/readyz", 1000);
    QCOMPARE(r.status, 503);
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(m_http->connectionCount() <= 4);
}

void TstHttpEndpoint::manyClientsCannotStarve()
{
    m_http->setLimits({.maxConnections = 16, .maxPerClient = 4});
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int client = 2; client <= 11; ++client)
        for (auto &s : idleConnections(10, QHostAddress(QStringLiteral("127.0.0.%1").arg(client))))
            idle.push_back(std::move(s));
    QTRY_VERIFY(m_http->connectionCount() >= 16);
    QVERIFY(m_http->connectionCount() <= 16);
    // A newcomer from an address with nothing open pushes out an idle connection of the busiest client.
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer clock;
        clock.start();
        const HttpResult r = iot::test::httpGet(m_http->port(), "/metrics", 1000);
        QCOMPARE(r.status, 200);
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
    }
}

void TstHttpEndpoint::headerDeadline()
{
    m_http->setLimits({.headerTimeoutMs = 300});
    QTcpSocket slow;
    QElapsedTimer clock;
    clock.start();
    slow.connectToHost(QHostAddress::LocalHost, m_http->port());
    QTRY_COMPARE(slow.state(), QAbstractSocket::ConnectedState);
    // A byte now and then does not buy more time: the deadline is for the whole head, from accept.
    slow.write("GET /metrics HTTP/1.1\r\n");
    QTest::qWait(150);
    slow.write("Host: x\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(slow.state(), QAbstractSocket::UnconnectedState, 3000);
    const qint64 closedAfter = clock.elapsed();
    qInfo("head unfinished: closed after %lld ms (deadline 300 ms)", closedAfter);
    QVERIFY2(closedAfter >= 250 && closedAfter < 2000, qPrintable(QString::number(closedAfter)));
    QTRY_COMPARE(m_http->connectionCount(), 0);
}

void TstHttpEndpoint::queryReachesTheHandler()
{
    QCOMPARE(httpGet(m_http->port(), "/echo?since=12&limit=3").body, QByteArray("/echo|since=12&limit=3"));
    QCOMPARE(httpGet(m_http->port(), "/echo").body, QByteArray("/echo|"));
}

void TstHttpEndpoint::streamDeliversBroadcasts()
{
    SseClient client;
    client.open(m_http->port(), "/stream");
    QTRY_COMPARE(client.events().size(), 1);
    QCOMPARE(client.status(), 200);
    QCOMPARE(m_http->streamCount("/stream"), 1);
    QCOMPARE(m_http->broadcast("/stream", "event: status\ndata: {\"n\":1}\n\n"), 1);
    QCOMPARE(m_http->broadcast("/other", "x"), 0);
    QTRY_COMPARE(client.events().size(), 2);
    QCOMPARE(client.events().constLast().status.value(QStringLiteral("n")).toInt(), 1);
    // The stream outlives the answer deadline of ordinary requests.
    QTest::qWait(300);
    QVERIFY(client.isConnected());
    QCOMPARE(m_http->streamCount("/stream"), 1);
}

void TstHttpEndpoint::stalledStreamIsCut()
{
    HttpEndpoint::Limits limits;
    limits.maxStreamBacklogBytes = 64 * 1024;
    m_http->setLimits(limits);
    SseClient reader;
    reader.open(m_http->port(), "/stream");
    QTcpSocket stalled;
    stalled.setReadBufferSize(1);   // Qt stops taking data from the kernel: the client never reads
    stalled.connectToHost(QHostAddress::LocalHost, m_http->port());
    QVERIFY(stalled.waitForConnected(3000));
    stalled.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_http->streamCount("/stream"), 2);
    // 8 KiB chunks: the stalled one fills its kernel buffers, then its 64 KiB, and is cut; the reader stays.
    const QByteArray chunk = ": " + QByteArray(8 * 1024, 'x') + "\n\nevent: status\ndata: {\"n\":2}\n\n";
    QElapsedTimer clock;
    clock.start();
    while (m_http->streamsCut() == 0 && clock.elapsed() < 20000) {
        m_http->broadcast("/stream", chunk);
        QTest::qWait(5);
    }
    QCOMPARE(m_http->streamsCut(), quint64(1));
    QCOMPARE(m_http->streamCount("/stream"), 1);
    QTRY_VERIFY(reader.events().size() > 2);
    QVERIFY(reader.isConnected());
}

QTEST_GUILESS_MAIN(TstHttpEndpoint)
#include "tst_httpendpoint.moc"
