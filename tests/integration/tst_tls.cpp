// SPDX-License-Identifier: MIT
// TLS as operators set it up, against real servers with certificates made here by openssl: a mosquitto with TLS
// listeners (trusted through the system store, a CA file, a CA directory; mutual TLS) and a PostgreSQL with
// ssl = on (verify-full). Refusals (a foreign CA, a host name the certificate does not name, no client certificate,
// a key that is not the certificate's) are a Failed state with OpenSSL's reason and exit code 2, nothing stored.
#include "backgroundpublisher.h"
#include "mqtt/mqttclient.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "testenv.h"
#include "tlstestenv.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace iot;
using namespace Qt::StringLiterals;
using namespace iot::test;

namespace {

// Which listener of the TLS broker a row connects to.
enum class Port { Tls, Mutual, LocalhostOnly, Plain, Closed };

struct TlsRow
{
    Port port = Port::Tls;
    QString host = QStringLiteral("127.0.0.1");
    QString ca{};          // file name in the certificate directory; "" = the system store
    QString cert{};
    QString key{};
    bool systemStoreIsTestCa = false;   // SSL_CERT_FILE = ca.pem, as an operator's trust store would have it
    bool verify = true;
};

} // namespace

Q_DECLARE_METATYPE(TlsRow)

class TstTls final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void clientState_data();
    void clientState();
    void readingsArrive_data();
    void readingsArrive();
    void refusedExitsTwo_data();
    void refusedExitsTwo();
    void postgresVerifyFull();
    void postgresWrongCaIsRefused();
    void postgresMissingRootCertExitsTwo();

private:
    int portOf(Port p) const;
    QString mqttKeys(const TlsRow &row) const;
    QString path(const QString &name) const { return name.isEmpty() ? name : m_env->file(name); }

    std::optional<Servers> m_srv;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<TlsTestEnv> m_env;
    int m_closedPort = 0;   // nobody listens there
};

void TstTls::initTestCase()
{
    IOT_REQUIRE_SERVERS(srv);
    m_srv = srv;
    m_dir = std::make_unique<QTemporaryDir>(srv.tmp + QStringLiteral("/tls-XXXXXX"));
    QVERIFY(m_dir->isValid());
    m_env = std::make_unique<TlsTestEnv>(m_dir->path());
    QString error;
    QVERIFY2(m_env->makeCertificates(&error), qPrintable(error));
    QVERIFY2(m_env->startBroker(srv, &error), qPrintable(error));
    QVERIFY2(m_env->startPostgres(srv, &error), qPrintable(error));
    m_closedPort = freePort();
    QVERIFY(m_closedPort > 0);
}

void TstTls::cleanupTestCase()
{
    m_env.reset();   // stops the private broker and PostgreSQL
}

int TstTls::portOf(Port p) const
{
    switch (p) {
    case Port::Tls: return m_env->tlsPort();
    case Port::Mutual: return m_env->mutualPort();
    case Port::LocalhostOnly: return m_env->localhostOnlyPort();
    case Port::Plain: return m_env->plainPort();
    case Port::Closed: return m_closedPort;
    }
    return 0;
}

QString TstTls::mqttKeys(const TlsRow &row) const
{
    QString t = QStringLiteral("tls = true\n");
    if (!row.ca.isEmpty())
        t += QStringLiteral("tls_ca_file = \"%1\"\n").arg(path(row.ca));
    if (!row.cert.isEmpty())
        t += QStringLiteral("tls_cert_file = \"%1\"\ntls_key_file = \"%2\"\n").arg(path(row.cert), path(row.key));
    if (!row.verify)
        t += QStringLiteral("tls_verify = false\n");
    return t;
}

void TstTls::clientState_data()
{
    using P = MessageSource::TlsProblem;
    QTest::addColumn<TlsRow>("row");
    QTest::addColumn<MessageSource::State>("state");
    QTest::addColumn<P>("problem");
    QTest::addColumn<QString>("reason");
    const auto ok = MessageSource::State::Connected;
    const auto failed = MessageSource::State::Failed;
    QTest::newRow("system store (tls = true alone)") << TlsRow{.systemStoreIsTestCa = true} << ok << P::None << u""_s;
    QTest::newRow("CA file") << TlsRow{.ca = u"ca.pem"_s} << ok << P::None << u""_s;
    QTest::newRow("CA directory") << TlsRow{.ca = u"capath"_s} << ok << P::None << u""_s;
    QTest::newRow("mutual TLS") << TlsRow{.port = Port::Mutual, .ca = u"ca.pem"_s, .cert = u"client.pem"_s, .key = u"client.key"_s}
                                << ok << P::None << u""_s;
    QTest::newRow("verification off accepts a foreign CA")
        << TlsRow{.ca = u"foreign-ca.pem"_s, .verify = false} << ok << P::None << u""_s;
    // mosquitto sends its CA along with its certificate, so OpenSSL's words are "self-signed certificate in
    // certificate chain" here; without it, "unable to get local issuer certificate": the same problem.
    QTest::newRow("foreign CA") << TlsRow{.ca = u"foreign-ca.pem"_s} << failed << P::UnknownAuthority
                                << u"certificate verify failed: self-signed certificate in certificate chain"_s;
    QTest::newRow("system store without the CA") << TlsRow{} << failed << P::UnknownAuthority
                                                 << u"certificate verify failed"_s;
    QTest::newRow("address not in the certificate") << TlsRow{.port = Port::LocalhostOnly, .ca = u"ca.pem"_s} << failed
                                                    << P::HostMismatch << u"certificate verify failed: IP address mismatch"_s;
    QTest::newRow("no client certificate for mutual TLS") << TlsRow{.port = Port::Mutual, .ca = u"ca.pem"_s} << failed
                                                          << P::RefusedByBroker
                                                          << u"the broker refused the handshake: certificate required"_s;
    QTest::newRow("key of another certificate")
        << TlsRow{.ca = u"ca.pem"_s, .cert = u"client.pem"_s, .key = u"server.key"_s} << failed << P::KeyMismatch
        << u"does not belong to certificate"_s;
    QTest::newRow("missing CA file") << TlsRow{.ca = u"no-such-ca.pem"_s} << failed << P::CaFile << u"does not exist"_s;
    // Network problems are retried, TLS or not.
    const auto retried = MessageSource::State::Reconnecting;
    QTest::newRow("nobody listens: retried") << TlsRow{.port = Port::Closed, .ca = u"ca.pem"_s} << retried << P::None
                                             << u"refused"_s;
    // mosquitto closes on the ClientHello, with a FIN (TlsProblem::Interrupted) or a reset (no TLS problem at
    // all), as the timing falls: retried either way.
    QTest::newRow("plain port: closed mid-handshake, retried") << TlsRow{.port = Port::Plain, .ca = u"ca.pem"_s}
                                                               << retried << P::None << u""_s;
}

void TstTls::clientState()
{
    QFETCH(TlsRow, row);
    QFETCH(MessageSource::State, state);
    QFETCH(MessageSource::TlsProblem, problem);
    QFETCH(QString, reason);
    if (row.systemStoreIsTestCa)
        qputenv("SSL_CERT_FILE", m_env->file(QStringLiteral("ca.pem")).toLocal8Bit());
    else
        qputenv("SSL_CERT_FILE", m_env->file(QStringLiteral("foreign-ca.pem")).toLocal8Bit());
    MqttConfig c;
    c.host = row.host;
    c.port = portOf(row.port);
    c.clientId = QStringLiteral("tst_tls_state");
    c.topics = {TopicFilter{QStringLiteral("tls/state/#"), 1}};
    c.tls = true;
    c.tlsCaFile = path(row.ca);
    c.tlsCertFile = path(row.cert);
    c.tlsKeyFile = path(row.key);
    c.tlsVerify = row.verify;
    MqttClient client(c, 0.2, 0.5);
    QList<MessageSource::State> seen;
    connect(&client, &MessageSource::stateChanged, this,
            [&seen](const MessageSource::StateInfo &info) { seen << info.state; });
    client.start();
    // Generous: a broker that resets the connection before its alert is read costs an ordinary retry, and on a
    // loaded machine (CI's fresh root builds beside it) that can repeat for 20 s before the alert is read.
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), state, 40000);
    const MessageSource::StateInfo info = client.stateInfo();
    if (state != MessageSource::State::Reconnecting)
        QCOMPARE(info.tls, problem);
    else
        QVERIFY(!MessageSource::isConfigProblem(info.tls));
    QVERIFY2(info.message.contains(reason), qPrintable(info.message));
    if (state == MessageSource::State::Reconnecting) {
        // Retried again and again, never given up.
        QTRY_VERIFY_WITH_TIMEOUT(client.stateInfo().attempt >= 3, 10000);
        QCOMPARE(client.state(), MessageSource::State::Reconnecting);
        QVERIFY(!seen.contains(MessageSource::State::Failed));
    }
    if (state == MessageSource::State::Failed) {
        QCOMPARE(info.cause, MessageSource::Cause::Tls);
        // Given up, not retried: nothing follows Failed. (Before it, a broker that resets the connection before
        // its alert is read costs one ordinary retry.)
        QTest::qWait(700);
        QCOMPARE(client.state(), MessageSource::State::Failed);
        QCOMPARE(seen.last(), MessageSource::State::Failed);
        QCOMPARE(seen.count(MessageSource::State::Failed), 1);
    }
    QSignalSpy stopped(&client, &MessageSource::stopped);
    client.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 5000);
    qunsetenv("SSL_CERT_FILE");
}

void TstTls::readingsArrive_data()
{
    QTest::addColumn<TlsRow>("row");
    QTest::newRow("system store") << TlsRow{.systemStoreIsTestCa = true};
    QTest::newRow("CA file") << TlsRow{.ca = u"ca.pem"_s};
    QTest::newRow("CA directory") << TlsRow{.ca = u"capath"_s};
    QTest::newRow("mutual TLS") << TlsRow{.port = Port::Mutual, .ca = u"ca.pem"_s, .cert = u"client.pem"_s, .key = u"client.key"_s};
    QTest::newRow("verification off (warned)") << TlsRow{.ca = u"foreign-ca.pem"_s, .verify = false};
}

void TstTls::readingsArrive()
{
    QFETCH(TlsRow, row);
    static int run = 0;
    const QString tag = QStringLiteral("tls_ok_%1").arg(++run);
    constexpr quint64 Count = 50;
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.mqttHost = row.host;
    setup.mqttPort = portOf(row.port);
    setup.extraMqttKeys = mqttKeys(row);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(*m_srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    SubscriberProcess sub(m_dir->filePath(tag));
    // OpenSSL reads SSL_CERT_FILE in place of the system's bundle: the test CA stands in for the site's CA.
    sub.setEnvironment(row.systemStoreIsTestCa
                           ? QStringList{QStringLiteral("SSL_CERT_FILE=") + m_env->file(QStringLiteral("ca.pem"))}
                           : QStringList{});
    QVERIFY(sub.start(subscriberConfig(*m_srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to ") + setup.topic, 15000), qPrintable(sub.log()));
    // Never silently: every start says so.
    QCOMPARE(sub.log().contains(QStringLiteral("SECURITY: TLS CERTIFICATE VERIFICATION IS OFF")), !row.verify);

    // Published in plain text on the same broker; the subscriber reads it over TLS.
    const SimStats stats = runSimulation(simulation(*m_srv, tag, Count, 0, m_env->plainPort(), 5));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 30000);
    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
    QCOMPARE(sub.exitCode(), 0);
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    QVERIFY2(report.missing == 0 && report.duplicated == 0, qPrintable(report.describe()));
}

void TstTls::refusedExitsTwo_data()
{
    QTest::addColumn<TlsRow>("row");
    QTest::addColumn<QString>("reason");
    QTest::newRow("foreign CA") << TlsRow{.ca = u"foreign-ca.pem"_s} << u"certificate verify failed"_s;
    QTest::newRow("address not in the certificate") << TlsRow{.port = Port::LocalhostOnly, .ca = u"ca.pem"_s}
                                                    << u"IP address mismatch"_s;
    QTest::newRow("no client certificate for mutual TLS") << TlsRow{.port = Port::Mutual, .ca = u"ca.pem"_s}
                                                          << u"certificate required"_s;
    QTest::newRow("missing CA file") << TlsRow{.ca = u"no-such-ca.pem"_s} << u"does not exist"_s;
}

void TstTls::refusedExitsTwo()
{
    QFETCH(TlsRow, row);
    QFETCH(QString, reason);
    static int run = 0;
    const QString tag = QStringLiteral("tls_refused_%1").arg(++run);
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.mqttHost = row.host;
    setup.mqttPort = portOf(row.port);
    setup.extraMqttKeys = mqttKeys(row);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(*m_srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    // Messages wait at the broker for the test's client id (a persistent session from an earlier plain subscribe
    // would be needed to queue them); what matters is that nothing reaches the database over a refused link.
    SubscriberProcess sub(m_dir->filePath(tag));
    QVERIFY(sub.start(subscriberConfig(*m_srv, setup)));
    const SimStats stats = runSimulation(simulation(*m_srv, tag, 10, 0, m_env->plainPort(), 2));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QVERIFY2(sub.waitForFinished(20000), qPrintable(sub.log()));
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 2);
    QVERIFY2(sub.log().contains(reason), qPrintable(sub.log()));
    QVERIFY2(sub.log().contains(QStringLiteral("retrying cannot fix this")), qPrintable(sub.log()));
    QVERIFY2(!sub.log().contains(QStringLiteral("subscribed to")), qPrintable(sub.log()));
    QVERIFY(probe.count() <= 0);
}

void TstTls::postgresVerifyFull()
{
    const Servers pg = m_env->withPostgres(*m_srv);
    const QString tag = QStringLiteral("tls_pg_ok");
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.sslmode = QStringLiteral("verify-full");
    setup.extraDatabaseKeys = QStringLiteral("sslrootcert = \"%1\"\n").arg(m_env->file(QStringLiteral("ca.pem")));
    ReadingsProbe probe = ReadingsProbe::freshPostgres(pg, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    SubscriberProcess sub(m_dir->filePath(tag));
    QVERIFY(sub.start(subscriberConfig(pg, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to ") + setup.topic, 15000), qPrintable(sub.log()));
    const SimStats stats = runSimulation(simulation(*m_srv, tag, 30, 0, 0, 3));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(30), 30000);
    // The subscriber's own session is encrypted.
    QCOMPARE(probe.scalar(QStringLiteral("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                         "WHERE a.application_name = 'iot-subscriber' AND s.ssl")),
             QStringLiteral("1"));
    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
    QCOMPARE(sub.exitCode(), 0);
}

void TstTls::postgresWrongCaIsRefused()
{
    const Servers pg = m_env->withPostgres(*m_srv);
    const QString tag = QStringLiteral("tls_pg_wrong_ca");
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.sslmode = QStringLiteral("verify-full");
    setup.extraDatabaseKeys = QStringLiteral("sslrootcert = \"%1\"\n").arg(m_env->file(QStringLiteral("foreign-ca.pem")));
    ReadingsProbe probe = ReadingsProbe::freshPostgres(pg, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    SubscriberProcess sub(m_dir->filePath(tag));
    QVERIFY(sub.start(subscriberConfig(pg, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to ") + setup.topic, 15000), qPrintable(sub.log()));
    // libpq's reason, in the writer's retry state (the server's certificate can change without our config).
    QVERIFY2(sub.waitForLog(QStringLiteral("certificate verify failed"), 15000), qPrintable(sub.log()));
    const SimStats stats = runSimulation(simulation(*m_srv, tag, 10, 0, 0, 2));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QVERIFY(sub.isRunning());
    // Nothing reached the server: not even the tables were created.
    QCOMPARE(probe.count(), qint64(-1));
    QVERIFY2(!sub.log().contains(QStringLiteral("database ready")), qPrintable(sub.log()));
    sub.terminate();
    QVERIFY(sub.waitForFinished(30000));
}

void TstTls::postgresMissingRootCertExitsTwo()
{
    const Servers pg = m_env->withPostgres(*m_srv);
    const QString tag = QStringLiteral("tls_pg_no_ca");
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.sslmode = QStringLiteral("verify-full");
    setup.extraDatabaseKeys = QStringLiteral("sslrootcert = \"%1\"\n").arg(m_env->file(QStringLiteral("no-such-ca.pem")));
    SubscriberProcess sub(m_dir->filePath(tag));
    QVERIFY(sub.start(subscriberConfig(pg, setup)));
    QVERIFY2(sub.waitForFinished(20000), qPrintable(sub.log()));
    QCOMPARE(sub.exitCode(), 2);
    QVERIFY2(sub.log().contains(QStringLiteral("database.sslrootcert")), qPrintable(sub.log()));
    QVERIFY2(sub.log().contains(QStringLiteral("does not exist")), qPrintable(sub.log()));
}

QTEST_GUILESS_MAIN(TstTls)
#include "tst_tls.moc"
