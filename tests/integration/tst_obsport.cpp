// SPDX-License-Identifier: MIT
// The observability port exposed as an operator would expose it, through the real binary: a real Prometheus that
// scrapes /metrics with the bearer token (and is refused without it or with a wrong one), TLS with a CA made here by
// openssl, 100 idle connections that must not keep /healthz from answering, and /readyz that tells a stranger only
// state names while the token holder also gets the database's own words.
#include "httpclient.h"
#include "prometheusserver.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using namespace iot;
using namespace iot::test;

namespace {

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size())
        return false;
    return f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

QByteArray randomToken()
{
    QByteArray raw(24, Qt::Uninitialized);
    QRandomGenerator::global()->generate(raw.begin(), raw.end());
    return "obsport-" + raw.toHex();
}

QByteArray bearer(const QByteArray &token)
{
    return "Authorization: Bearer " + token + "\r\n";
}

QString toml(const QString &path)
{
    return QStringLiteral("\"%1\"").arg(path);
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, made by openssl in `dir`.
bool makeCertificates(const QString &dir, QString *output)
{
    const auto at = [&dir](const char *name) -> QString { return dir + u'/' + QLatin1String(name); };
    if (!writeFile(at("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                  "extendedKeyUsage=serverAuth\n"))
        return false;
    const QStringList steps[] = {
        {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
         QStringLiteral("-nodes"), QStringLiteral("-keyout"), at("ca.key"), QStringLiteral("-out"), at("ca.pem"),
         QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=obsport test CA")},
        {QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"), QStringLiteral("-nodes"),
         QStringLiteral("-keyout"), at("server.key"), QStringLiteral("-out"), at("server.csr"),
         QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")},
        {QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), at("server.csr"),
         QStringLiteral("-CA"), at("ca.pem"), QStringLiteral("-CAkey"), at("ca.key"),
         QStringLiteral("-CAcreateserial"), QStringLiteral("-out"), at("server.pem"), QStringLiteral("-days"),
         QStringLiteral("2"), QStringLiteral("-extfile"), at("ext.cnf")},
    };
    for (const QStringList &args : steps)
        if (!runProgram(QStringLiteral("openssl"), args, 60000, output))
            return false;
    return true;
}

/// One request over TLS, trusting only `caFile`; status 0 and `error` set when the handshake or the exchange fails.
HttpResult httpsGet(quint16 port, const QByteArray &path, const QString &caFile, const QByteArray &extraHeaders,
                    QString *error)
{
    HttpResult result;
    QSslSocket socket;
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setCaCertificates(QSslCertificate::fromPath(caFile));
    socket.setSslConfiguration(config);
    QEventLoop loop;
    QObject::connect(&socket, &QSslSocket::encrypted, &loop, [&] {
        socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extraHeaders + "\r\n");
    });
    QObject::connect(&socket, &QSslSocket::readyRead, &loop, [&] { result.raw += socket.readAll(); });
    QObject::connect(&socket, &QSslSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QSslSocket::sslErrors, &loop, [&](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            *error += e.errorString() + u';';
        loop.quit();
    });
    QObject::connect(&socket, &QSslSocket::errorOccurred, &loop, [&](QAbstractSocket::SocketError e) {
        if (e != QAbstractSocket::RemoteHostClosedError) {
            *error += socket.errorString();
            loop.quit();
        }
    });
    QTimer::singleShot(5000, &loop, &QEventLoop::quit);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    loop.exec();
    const qsizetype headEnd = result.raw.indexOf("\r\n\r\n");
    if (headEnd > 0 && result.raw.startsWith("HTTP/1.1 ")) {
        result.status = result.raw.mid(9, 3).toInt();
        result.body = result.raw.mid(headEnd + 4);
    }
    return result;
}

/// `count` connections from `source` that never send a byte, all connected when it returns.
std::vector<std::unique_ptr<QTcpSocket>> idleConnections(quint16 port, int count, const QHostAddress &source)
{
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < count; ++i) {
        auto s = std::make_unique<QTcpSocket>();
        s->bind(source);
        s->connectToHost(QHostAddress::LocalHost, port);
        sockets.push_back(std::move(s));
    }
    QElapsedTimer clock;
    clock.start();
    // Done when none is still connecting (the server may already have pushed some out: they are unconnected).
    while (clock.elapsed() < 5000) {
        bool settled = true;
        for (const auto &s : sockets)
            settled = settled && s->state() != QAbstractSocket::ConnectingState
                && s->state() != QAbstractSocket::HostLookupState;
        if (settled)
            break;
        QTest::qWait(10);
    }
    return sockets;
}

qint64 connectedCount(const std::vector<std::unique_ptr<QTcpSocket>> &sockets)
{
    return std::count_if(sockets.begin(), sockets.end(),
                         [](const auto &s) { return s->state() == QAbstractSocket::ConnectedState; });
}

} // namespace

/// The observability port with its token, TLS and per-client limits, seen from outside by Prometheus, TLS clients
/// and a client that hoards connections. Runs on the test's main thread.
class TstObsPort final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void prometheusNeedsTheToken();
    void idleConnectionsDoNotStarveHealthz();
    void tls();
    void readyzShowsReasonsOnlyWithTheToken();
    void unusableTokenOrCertificateStopsTheStart();

private:
    /// A subscriber on SQLite with the metrics port and `extraKeys` in [observability]; returns its port.
    quint16 startSubscriber(SubscriberProcess &sub, const Servers &srv, const QString &dir, const QString &extraKeys);
};

void TstObsPort::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
        QFAIL("openssl missing: scripts/deps.sh --test installs it");
}

quint16 TstObsPort::startSubscriber(SubscriberProcess &sub, const Servers &srv, const QString &dir,
                                    const QString &extraKeys)
{
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir + QStringLiteral("/readings.sqlite");
    setup.topic = QStringLiteral("obsport/#");
    setup.clientId = QStringLiteral("obsport-%1").arg(QRandomGenerator::global()->generate());
    setup.prometheusPort = freePort();
    setup.extraObservabilityKeys = extraKeys;
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1/spool\"\n").arg(dir);
    if (!sub.start(subscriberConfig(srv, setup)) || !sub.waitForLog(QStringLiteral("health checks on"), 15000))
        return 0;
    return static_cast<quint16>(setup.prometheusPort);
}

void TstObsPort::prometheusNeedsTheToken()
{
    IOT_REQUIRE_SERVERS(srv);
    if (PrometheusServer::binary().isEmpty())
        QFAIL("prometheus missing: scripts/deps.sh --test installs the prometheus package");
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obsport-XXXXXX"));
    const QByteArray token = randomToken();
    const QString tokenFile = dir.filePath(QStringLiteral("token"));
    const QString wrongFile = dir.filePath(QStringLiteral("wrong-token"));
    QVERIFY(writeFile(tokenFile, token + '\n'));
    QVERIFY(writeFile(wrongFile, randomToken() + '\n'));
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    const quint16 port = startSubscriber(sub, srv, dir.path(),
                                         QStringLiteral("auth_token_file = %1\n").arg(toml(tokenFile)));
    QVERIFY2(port != 0, qPrintable(sub.log()));
    QVERIFY2(sub.log().contains(QStringLiteral("bearer token required")), qPrintable(sub.log()));
    QVERIFY2(!sub.log().contains(QString::fromLatin1(token)), "the token must never reach the log");

    // By hand first: no token, a wrong one, the right one.
    HttpResult r = httpGet(port, "/metrics");
    QCOMPARE(r.status, 401);
    QVERIFY2(r.headers.value("www-authenticate").startsWith("Bearer "), r.raw.constData());
    QVERIFY(!r.body.contains("iot_subscriber_"));
    QCOMPARE(httpGet(port, "/metrics", 5000, bearer(randomToken())).status, 401);
    r = httpGet(port, "/metrics", 5000, bearer(token));
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.contains("iot_subscriber_build_info"));
    // The liveness probe stays open.
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/healthz").status, 200, 10000);

    const QByteArray target = "    static_configs:\n      - targets: ['127.0.0.1:" + QByteArray::number(port) + "']\n";
    PrometheusServer prometheus(dir.filePath(QStringLiteral("prometheus")));
    QString error;
    QVERIFY2(prometheus.startWithScrapeConfigs(
                 "  - job_name: with-token\n    authorization:\n      type: Bearer\n      credentials_file: "
                     + tokenFile.toUtf8() + "\n" + target
                     + "  - job_name: wrong-token\n    authorization:\n      type: Bearer\n      credentials_file: "
                     + wrongFile.toUtf8() + "\n" + target + "  - job_name: no-token\n" + target,
                 &error),
             qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.targetHealth(QStringLiteral("with-token")), QStringLiteral("up"), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.targetHealth(QStringLiteral("wrong-token")), QStringLiteral("down"), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.targetHealth(QStringLiteral("no-token")), QStringLiteral("down"), 20000);
    QString lastError;
    prometheus.targetHealth(QStringLiteral("no-token"), &lastError);
    QVERIFY2(lastError.contains(QStringLiteral("401")), qPrintable(lastError));
    prometheus.targetHealth(QStringLiteral("wrong-token"), &lastError);
    QVERIFY2(lastError.contains(QStringLiteral("401")), qPrintable(lastError));
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.queryValue(QStringLiteral("up{job=\"with-token\"}")), QStringLiteral("1"),
                              10000);
    QCOMPARE(prometheus.queryValue(QStringLiteral("up{job=\"wrong-token\"}")), QStringLiteral("0"));
    QCOMPARE(prometheus.queryValue(QStringLiteral("up{job=\"no-token\"}")), QStringLiteral("0"));
    // Only the job with the token stored our series.
    QVERIFY(!prometheus.queryValue(QStringLiteral("iot_subscriber_build_info{job=\"with-token\"}")).isEmpty());
    QCOMPARE(prometheus.queryValue(QStringLiteral("count(iot_subscriber_build_info{job!=\"with-token\"})")),
             QString());
}

void TstObsPort::idleConnectionsDoNotStarveHealthz()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obsport-XXXXXX"));
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    const quint16 port = startSubscriber(sub, srv, dir.path(), {});
    QVERIFY2(port != 0, qPrintable(sub.log()));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/healthz").status, 200, 10000);

    // One client with 100 connections that say nothing, then 10 clients (127.0.0.2-11) with 10 each: while they
    // are held (before the 2 s head deadline cuts them), /healthz from 127.0.0.1 answers within a second.
    struct Case
    {
        const char *name;
        int clients;
        int each;
    };
    for (const Case c : {Case{"one client", 1, 100}, Case{"ten clients", 10, 10}}) {
        std::vector<std::unique_ptr<QTcpSocket>> idle;
        for (int i = 0; i < c.clients; ++i) {
            const QHostAddress source = c.clients == 1 ? QHostAddress(QHostAddress::LocalHost)
                                                       : QHostAddress(QStringLiteral("127.0.0.%1").arg(i + 2));
            for (auto &s : idleConnections(port, c.each, source))
                idle.push_back(std::move(s));
        }
        const qint64 held = connectedCount(idle);
        for (int probe = 0; probe < 3; ++probe) {
            const HttpResult r = httpGet(port, "/healthz", 1000);
            qInfo("%s, 100 idle connections (%lld still open): /healthz %d in %lld ms", c.name, held, r.status,
                  r.elapsedMs);
            QCOMPARE(r.status, 200);
            QVERIFY2(r.elapsedMs < 1000, qPrintable(QString::number(r.elapsedMs)));
        }
    }
    // The hoarded connections are gone by the head deadline; the port is as good as new.
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/healthz", 1000).status, 200, 5000);
}

void TstObsPort::tls()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obsport-XXXXXX"));
    QString output;
    QVERIFY2(makeCertificates(dir.path(), &output), qPrintable(output));
    const QByteArray token = randomToken();
    const QString tokenFile = dir.filePath(QStringLiteral("token"));
    QVERIFY(writeFile(tokenFile, token + '\n'));
    const QString ca = dir.filePath(QStringLiteral("ca.pem"));
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    const quint16 port = startSubscriber(
        sub, srv, dir.path(),
        QStringLiteral("auth_token_file = %1\ntls_cert_file = %2\ntls_key_file = %3\n")
            .arg(toml(tokenFile), toml(dir.filePath(QStringLiteral("server.pem"))),
                 toml(dir.filePath(QStringLiteral("server.key")))));
    QVERIFY2(port != 0, qPrintable(sub.log()));
    QVERIFY2(sub.log().contains(QStringLiteral("https://127.0.0.1")), qPrintable(sub.log()));

    QString error;
    HttpResult r = httpsGet(port, "/healthz", ca, {}, &error);
    QVERIFY2(r.status == 200 || r.status == 503, qPrintable(error + QString::fromUtf8(r.raw)));
    QVERIFY(r.body.contains("\"status\""));
    r = httpsGet(port, "/metrics", ca, {}, &error);
    QCOMPARE(r.status, 401);
    r = httpsGet(port, "/metrics", ca, bearer(token), &error);
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.contains("iot_subscriber_build_info"));

    // A client that does not trust the test CA is refused by its own check.
    error.clear();
    const QString foreign = dir.filePath(QStringLiteral("foreign"));
    QDir().mkpath(foreign);
    QVERIFY2(makeCertificates(foreign, &output), qPrintable(output));
    r = httpsGet(port, "/healthz", foreign + QStringLiteral("/ca.pem"), {}, &error);
    QCOMPARE(r.status, 0);
    QVERIFY2(!error.isEmpty(), "a certificate from a foreign CA must fail verification");

    // Plain HTTP to the TLS port fails fast and cleanly (400 from our parser or a closed connection, never a hang
    // nor an answer with content), and the port goes on serving TLS.
    r = httpGet(port, "/healthz", 3000);
    qInfo("plain HTTP to the TLS port: status %d after %lld ms, %lld bytes", r.status, r.elapsedMs,
          qint64(r.raw.size()));
    QVERIFY2(r.elapsedMs < 3000, "plain HTTP to the TLS port must not hang");
    QVERIFY2(!r.body.contains("\"status\""), r.raw.constData());
    error.clear();
    QCOMPARE(httpsGet(port, "/metrics", ca, bearer(token), &error).status, 200);

    // A real Prometheus scrapes it over TLS with the token.
    if (PrometheusServer::binary().isEmpty())
        QFAIL("prometheus missing: scripts/deps.sh --test installs the prometheus package");
    PrometheusServer prometheus(dir.filePath(QStringLiteral("prometheus")));
    QVERIFY2(prometheus.startWithScrapeConfigs(
                 "  - job_name: tls\n    scheme: https\n    tls_config:\n      ca_file: " + ca.toUtf8()
                     + "\n    authorization:\n      type: Bearer\n      credentials_file: " + tokenFile.toUtf8()
                     + "\n    static_configs:\n      - targets: ['127.0.0.1:" + QByteArray::number(port) + "']\n",
                 &error),
             qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.targetHealth(QStringLiteral("tls")), QStringLiteral("up"), 20000);
}

void TstObsPort::readyzShowsReasonsOnlyWithTheToken()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obsport-XXXXXX"));
    const QByteArray token = randomToken();
    const QString tokenFile = dir.filePath(QStringLiteral("token"));
    QVERIFY(writeFile(tokenFile, token + '\n'));
    // A database that does not exist: PostgreSQL's refusal names it, a text we can look for.
    const QString missing = QStringLiteral("obsport_missing_%1").arg(QRandomGenerator::global()->generate());
    SubscriberSetup setup;
    setup.database = missing;
    setup.topic = QStringLiteral("obsport/#");
    setup.clientId = missing;
    setup.prometheusPort = freePort();
    setup.extraObservabilityKeys = QStringLiteral("auth_token_file = %1\n").arg(toml(tokenFile));
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1/spool\"\n").arg(dir.path());
    const auto port = static_cast<quint16>(setup.prometheusPort);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(missing, 20000), qPrintable(sub.log()));

    // With the token: the reasons, in the database's own words.
    HttpResult withToken;
    QTRY_VERIFY_WITH_TIMEOUT((withToken = httpGet(port, "/readyz", 5000, bearer(token))).body.contains(missing.toUtf8()),
                             15000);
    QCOMPARE(withToken.status, 503);
    QVERIFY(QJsonDocument::fromJson(withToken.body).object().contains(QStringLiteral("reasons")));

    // Without it (or with a wrong one): the same verdict and state names, none of the server's text.
    for (const QByteArray &header : {QByteArray(), bearer(randomToken())}) {
        const HttpResult open = httpGet(port, "/readyz", 5000, header);
        qInfo("/readyz %s: %s", header.isEmpty() ? "without a token" : "with a wrong token",
              open.body.trimmed().constData());
        QCOMPARE(open.status, 503);
        QVERIFY2(!open.body.contains(missing.toUtf8()), open.body.constData());
        QVERIFY2(!open.body.contains("does not exist"), open.body.constData());
        const QJsonObject o = QJsonDocument::fromJson(open.body).object();
        QVERIFY(!o.contains(QStringLiteral("reasons")));
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("not ready"));
        QVERIFY(!o.value(QStringLiteral("mqtt")).toString().isEmpty());
        const QString db = o.value(QStringLiteral("database")).toString();
        QVERIFY2(!db.isEmpty() && db != QStringLiteral("connected"), open.body.constData());
    }
}

void TstObsPort::unusableTokenOrCertificateStopsTheStart()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obsport-XXXXXX"));
    const QString empty = dir.filePath(QStringLiteral("empty-token"));
    QVERIFY(writeFile(empty, "\n"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("not-a-cert.pem")), "hello\n"));
    // Serving /metrics open when the operator asked for a token (or plain HTTP when asked for TLS) would be worse
    // than not starting: the run ends with the reason, before anything is read from the broker.
    const QString cases[] = {
        QStringLiteral("auth_token_file = %1\n").arg(toml(dir.filePath(QStringLiteral("missing-token")))),
        QStringLiteral("auth_token_file = %1\n").arg(toml(empty)),
        QStringLiteral("tls_cert_file = %1\ntls_key_file = %1\n").arg(toml(dir.filePath(QStringLiteral("not-a-cert.pem")))),
    };
    for (const QString &keys : cases) {
        SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
        SubscriberSetup setup;
        setup.postgres = false;
        setup.database = dir.filePath(QStringLiteral("r.sqlite"));
        setup.prometheusPort = freePort();
        setup.extraObservabilityKeys = keys;
        setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1/spool\"\n").arg(dir.path());
        QVERIFY(sub.start(subscriberConfig(srv, setup)));
        QVERIFY2(sub.waitForFinished(15000), qPrintable(sub.log()));
        QVERIFY2(sub.exitCode() != 0, qPrintable(sub.log()));
        QVERIFY2(sub.log().contains(QStringLiteral("observability.")), qPrintable(sub.log()));
        QVERIFY2(!sub.log().contains(QStringLiteral("subscribed to")), qPrintable(sub.log()));
    }
}

QTEST_GUILESS_MAIN(TstObsPort)
#include "tst_obsport.moc"
