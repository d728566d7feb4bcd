// SPDX-License-Identifier: MIT
#include "observability/httprequestparser.h"

#include <QTest>

using namespace iot;
using Outcome = HttpRequestParser::Outcome;

/// The observability port's request-head parser, without sockets: what is complete, what waits for more bytes,
/// what is refused at once (400) and what is too large (431). Pure logic, one thread.
class TstHttpRequestParser final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void outcomes_data();
    void outcomes();
    void fields();
    void limits();
    void everyPrefixWaits();
};

void TstHttpRequestParser::outcomes_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<Outcome>("outcome");
    QTest::addColumn<QByteArray>("path");
    const QByteArray end = " HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("minimal") << QByteArray("GET /metrics HTTP/1.1\r\n\r\n") << Outcome::Complete
                             << QByteArray("/metrics");
    QTest::newRow("HTTP/1.0") << QByteArray("GET /healthz HTTP/1.0\r\n\r\n") << Outcome::Complete
                              << QByteArray("/healthz");
    QTest::newRow("query cut off the path") << "GET /readyz?a=b?c" + end << Outcome::Complete << QByteArray("/readyz");
    QTest::newRow("other method parses") << "DELETE /metrics" + end << Outcome::Complete << QByteArray("/metrics");
    QTest::newRow("no blank line yet") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\n") << Outcome::Incomplete
                                       << QByteArray();
    QTest::newRow("half a line ending") << QByteArray("GET /metrics HTTP/1.1\r") << Outcome::Incomplete
                                        << QByteArray();
    QTest::newRow("empty") << QByteArray() << Outcome::Incomplete << QByteArray();
    QTest::newRow("TLS ClientHello on the plain port") << QByteArray("\x16\x03\x01\x02\x00\x01", 6)
                                                       << Outcome::Malformed << QByteArray();
    QTest::newRow("garbage line") << QByteArray("hello\r\n\r\n") << Outcome::Malformed << QByteArray();
    QTest::newRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << Outcome::Malformed
                                    << QByteArray();
    QTest::newRow("HTTP/2.0 version") << QByteArray("GET /metrics HTTP/2.0\r\n\r\n") << Outcome::Malformed
                                      << QByteArray();
    QTest::newRow("absolute URI") << "GET http://x/metrics" + end << Outcome::Malformed << QByteArray();
    QTest::newRow("asterisk") << "OPTIONS *" + end << Outcome::Malformed << QByteArray();
    QTest::newRow("two spaces") << "GET  /metrics" + end << Outcome::Malformed << QByteArray();
    QTest::newRow("space in target") << "GET /a b" + end << Outcome::Malformed << QByteArray();
    QTest::newRow("lower-case version") << QByteArray("GET / http/1.1\r\n\r\n") << Outcome::Malformed
                                        << QByteArray();
    QTest::newRow("leading blank line") << "\r\nGET /metrics" + end << Outcome::Malformed << QByteArray();
    QTest::newRow("bare LF line ends") << QByteArray("GET /metrics HTTP/1.1\nHost: x\n\n") << Outcome::Malformed
                                       << QByteArray();
    QTest::newRow("bare CR inside a field")
        << QByteArray("GET /metrics HTTP/1.1\r\nX: a\rb\r\n\r\n") << Outcome::Malformed << QByteArray();
    QTest::newRow("NUL in a field") << QByteArray("GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n", 36)
                                    << Outcome::Malformed << QByteArray();
    QTest::newRow("obs-fold") << QByteArray("GET /metrics HTTP/1.1\r\nX: a\r\n b\r\n\r\n") << Outcome::Malformed
                              << QByteArray();
    QTest::newRow("space before colon") << QByteArray("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n")
                                        << Outcome::Malformed << QByteArray();
    QTest::newRow("field without colon") << QByteArray("GET /metrics HTTP/1.1\r\nHost\r\n\r\n")
                                         << Outcome::Malformed << QByteArray();
    QTest::newRow("two Authorization fields")
        << QByteArray("GET /metrics HTTP/1.1\r\nAuthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n")
        << Outcome::Malformed << QByteArray();
    QTest::newRow("obs-text in a value is allowed")
        << QByteArray("GET /metrics HTTP/1.1\r\nUser-Agent: caf\xc3\xa9\r\n\r\n") << Outcome::Complete
        << QByteArray("/metrics");
}

void TstHttpRequestParser::outcomes()
{
    QFETCH(QByteArray, head);
    QFETCH(Outcome, outcome);
    QFETCH(QByteArray, path);
    const HttpRequestParser::Result r = HttpRequestParser::parse(head);
    QCOMPARE(r.outcome, outcome);
    if (outcome == Outcome::Complete) {
        QCOMPARE(r.request.path, path);
        QCOMPARE(r.request.headBytes, head.size());
    }
}

void TstHttpRequestParser::fields()
{
    // Name case and optional whitespace do not matter; the value is kept as sent (the scheme is BearerToken's).
    const QByteArray data = "GET /metrics?x=1 HTTP/1.0\r\nHost: x\r\naUtHoRiZaTiOn: \t Bearer abc \t\r\n\r\nBODY";
    const HttpRequestParser::Result r = HttpRequestParser::parse(data);
    QCOMPARE(r.outcome, Outcome::Complete);
    QCOMPARE(r.request.method, QByteArray("GET"));
    QCOMPARE(r.request.target, QByteArray("/metrics?x=1"));
    QCOMPARE(r.request.path, QByteArray("/metrics"));
    QCOMPARE(r.request.minorVersion, 0);
    QCOMPARE(r.request.authorization, QByteArray("Bearer abc"));
    // What follows the head is not part of it.
    QCOMPARE(r.request.headBytes, data.size() - 4);
    QCOMPARE(HttpRequestParser::parse("GET / HTTP/1.1\r\n\r\n").request.authorization, QByteArray());
}

void TstHttpRequestParser::limits()
{
    const QByteArray head = "GET /metrics HTTP/1.1\r\nX-Pad: ";
    // Exactly at the limit (blank line included) fits; one byte more does not.
    const QByteArray fits = head + QByteArray(100 - head.size() - 4, 'a') + "\r\n\r\n";
    QCOMPARE(fits.size(), 100);
    QCOMPARE(HttpRequestParser::parse(fits, 100).outcome, Outcome::Complete);
    const QByteArray over = head + QByteArray(101 - head.size() - 4, 'a') + "\r\n\r\n";
    QCOMPARE(HttpRequestParser::parse(over, 100).outcome, Outcome::TooLarge);
    // A head that never ends is too large as soon as it passes the limit, without waiting for its end.
    QCOMPARE(HttpRequestParser::parse(QByteArray(head + QByteArray(200, 'b')), 100).outcome, Outcome::TooLarge);
    QCOMPARE(HttpRequestParser::parse(QByteArray(head + QByteArray(50, 'b')), 100).outcome, Outcome::Incomplete);
    // Many tiny fields: bounded by count as well as bytes.
    QByteArray many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i <= HttpRequestParser::MaxFields; ++i)
        many += "a: b\r\n";
    QCOMPARE(HttpRequestParser::parse(QByteArray(many + "\r\n")).outcome, Outcome::TooLarge);
}

void TstHttpRequestParser::everyPrefixWaits()
{
    // Whatever segment boundary TCP picks, a good head is Incomplete until its last byte.
    const QByteArray good = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:8001\r\nAuthorization: Bearer t\r\n\r\n";
    for (qsizetype n = 0; n < good.size(); ++n)
        QVERIFY2(HttpRequestParser::parse(good.first(n)).outcome == Outcome::Incomplete, good.first(n).constData());
    QCOMPARE(HttpRequestParser::parse(good).outcome, Outcome::Complete);
}

QTEST_APPLESS_MAIN(TstHttpRequestParser)
#include "tst_httprequestparser.moc"
