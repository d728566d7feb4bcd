// SPDX-License-Identifier: MIT
// What TLS refused, as a value: OpenSSL's verification codes and the broker's alerts mapped to the source's
// TlsProblem, which of them no retry can fix, and the files of [mqtt] checked before any connection.
#include "mqtt/tlscontext.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

using namespace iot;
using namespace Qt::StringLiterals;
using P = MessageSource::TlsProblem;

class TstTlsContext final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void verifyError_data();
    void verifyError();
    void alert_data();
    void alert();
    void configProblem_data();
    void configProblem();
    void files_data();
    void files();
    void systemStoreNeedsNoFile();
    void caDirectoryWithoutHashesWarns();
    void versionAndCiphers_data();
    void versionAndCiphers();
    void unknownCiphersAreASettingsProblem();
};

void TstTlsContext::verifyError_data()
{
    QTest::addColumn<long>("code");
    QTest::addColumn<P>("expected");
    QTest::newRow("ok") << long(X509_V_OK) << P::None;
    QTest::newRow("unknown issuer") << long(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) << P::UnknownAuthority;
    QTest::newRow("self-signed") << long(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) << P::UnknownAuthority;
    QTest::newRow("self-signed in chain") << long(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) << P::UnknownAuthority;
    QTest::newRow("leaf signature") << long(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) << P::UnknownAuthority;
    QTest::newRow("host name") << long(X509_V_ERR_HOSTNAME_MISMATCH) << P::HostMismatch;
    QTest::newRow("IP address") << long(X509_V_ERR_IP_ADDRESS_MISMATCH) << P::HostMismatch;
    QTest::newRow("expired") << long(X509_V_ERR_CERT_HAS_EXPIRED) << P::NotValidNow;
    QTest::newRow("not yet valid") << long(X509_V_ERR_CERT_NOT_YET_VALID) << P::NotValidNow;
    QTest::newRow("bad signature") << long(X509_V_ERR_CERT_SIGNATURE_FAILURE) << P::BadCertificate;
    QTest::newRow("wrong purpose") << long(X509_V_ERR_INVALID_PURPOSE) << P::BadCertificate;
}

void TstTlsContext::verifyError()
{
    QFETCH(long, code);
    QFETCH(P, expected);
    QCOMPARE(TlsContext::problemForVerifyError(code), expected);
}

void TstTlsContext::alert_data()
{
    QTest::addColumn<int>("alert");
    QTest::addColumn<P>("expected");
    QTest::newRow("certificate required (TLS 1.3, no client certificate)") << SSL_AD_CERTIFICATE_REQUIRED
                                                                            << P::RefusedByBroker;
    QTest::newRow("unknown CA (client certificate from another CA)") << SSL_AD_UNKNOWN_CA << P::RefusedByBroker;
    QTest::newRow("bad certificate") << SSL_AD_BAD_CERTIFICATE << P::RefusedByBroker;
    QTest::newRow("handshake failure") << SSL_AD_HANDSHAKE_FAILURE << P::Handshake;
    QTest::newRow("protocol version") << SSL_AD_PROTOCOL_VERSION << P::Handshake;
}

void TstTlsContext::alert()
{
    QFETCH(int, alert);
    QFETCH(P, expected);
    QCOMPARE(TlsContext::problemForAlert(alert), expected);
}

void TstTlsContext::configProblem_data()
{
    QTest::addColumn<P>("problem");
    QTest::addColumn<bool>("config");
    QTest::newRow("none") << P::None << false;
    QTest::newRow("CA file") << P::CaFile << true;
    QTest::newRow("key mismatch") << P::KeyMismatch << true;
    QTest::newRow("unknown authority") << P::UnknownAuthority << true;
    QTest::newRow("host mismatch") << P::HostMismatch << true;
    QTest::newRow("refused by broker") << P::RefusedByBroker << true;
    QTest::newRow("handshake") << P::Handshake << true;
    // Renewing the broker's certificate or fixing a clock needs no change here: retried.
    QTest::newRow("expired") << P::NotValidNow << false;
    QTest::newRow("closed during the handshake") << P::Interrupted << false;
}

void TstTlsContext::configProblem()
{
    QFETCH(P, problem);
    QFETCH(bool, config);
    QCOMPARE(MessageSource::isConfigProblem(problem), config);
}

void TstTlsContext::files_data()
{
    QTest::addColumn<QString>("ca");
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<P>("expected");
    QTest::addColumn<QString>("words");
    QTest::newRow("missing CA file") << u"missing-ca.pem"_s << u""_s << u""_s << P::CaFile << u"does not exist"_s;
    QTest::newRow("CA file without a certificate") << u"empty.pem"_s << u""_s << u""_s << P::CaFile << u"cannot use CA file"_s;
    QTest::newRow("missing certificate") << u""_s << u"missing-cert.pem"_s << u"missing-key.pem"_s << P::CertFile
                                         << u"does not exist"_s;
    QTest::newRow("certificate is not one") << u""_s << u"empty.pem"_s << u"empty.pem"_s << P::CertFile
                                            << u"cannot use certificate file"_s;
}

void TstTlsContext::files()
{
    QFETCH(QString, ca);
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(P, expected);
    QFETCH(QString, words);
    QTemporaryDir dir;
    QFile empty(dir.filePath(QStringLiteral("empty.pem")));
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.write("not a certificate\n");
    empty.close();
    const auto path = [&dir](const QString &name) { return name.isEmpty() ? name : dir.filePath(name); };
    MqttConfig c;
    c.host = QStringLiteral("127.0.0.1");
    c.tls = true;
    c.tlsCaFile = path(ca);
    c.tlsCertFile = path(cert);
    c.tlsKeyFile = path(key);
    TlsContext::Problem problem;
    const auto ctx = TlsContext::create(c, &problem);
    QVERIFY(!ctx);
    QCOMPARE(problem.kind, expected);
    QVERIFY2(problem.message.contains(words), qPrintable(problem.message));
}

void TstTlsContext::systemStoreNeedsNoFile()
{
    // The reported bug: tls = true and nothing else must give a context (the system's trust store), not an error.
    MqttConfig c;
    c.host = QStringLiteral("broker.example.com");
    c.tls = true;
    TlsContext::Problem problem;
    const auto ctx = TlsContext::create(c, &problem);
    QVERIFY2(ctx, qPrintable(problem.message));
    QVERIFY(ctx->sslContext());
    QCOMPARE(ctx->handshakeProblem().kind, P::None);
}

void TstTlsContext::caDirectoryWithoutHashesWarns()
{
    QTemporaryDir dir;
    QFile plain(dir.filePath(QStringLiteral("ca.pem")));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();
    MqttConfig c;
    c.host = QStringLiteral("127.0.0.1");
    c.tls = true;
    c.tlsCaFile = dir.path();
    TlsContext::Problem problem;
    const auto ctx = TlsContext::create(c, &problem);
    QVERIFY2(ctx, qPrintable(problem.message));
    QCOMPARE(ctx->warnings().size(), 1);
    QVERIFY(ctx->warnings().first().contains(QStringLiteral("openssl rehash")));
}

void TstTlsContext::versionAndCiphers_data()
{
    QTest::addColumn<QString>("minVersion");
    QTest::addColumn<QString>("ciphers");
    QTest::addColumn<int>("expectedMin");   // 0: OpenSSL's default, whatever it is
    QTest::addColumn<bool>("hasRsaAes128Sha");
    QTest::newRow("defaults") << QString() << QString() << 0 << true;
    QTest::newRow("1.2") << u"1.2"_s << QString() << int(TLS1_2_VERSION) << true;
    QTest::newRow("1.3") << u"1.3"_s << QString() << int(TLS1_3_VERSION) << true;
    QTest::newRow("ECDHE+AESGCM only") << QString() << u"ECDHE+AESGCM"_s << 0 << false;
}

void TstTlsContext::versionAndCiphers()
{
    QFETCH(QString, minVersion);
    QFETCH(QString, ciphers);
    QFETCH(int, expectedMin);
    QFETCH(bool, hasRsaAes128Sha);
    MqttConfig c;
    c.host = QStringLiteral("broker.example.com");
    c.tls = true;
    c.tlsMinVersion = minVersion;
    c.tlsCiphers = ciphers;
    TlsContext::Problem problem;
    const auto ctx = TlsContext::create(c, &problem);
    QVERIFY2(ctx, qPrintable(problem.message));
    auto *ssl = static_cast<SSL_CTX *>(ctx->sslContext());
    if (expectedMin != 0)
        QCOMPARE(int(SSL_CTX_get_min_proto_version(ssl)), expectedMin);
    // What the context would offer for TLS 1.2: AES128-SHA (plain RSA key exchange) is in OpenSSL's default list
    // at security level 2 and must be gone when the list names only ECDHE with AES-GCM.
    bool found = false;
    const STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ssl);
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i)
        found = found || qstrcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)), "AES128-SHA") == 0;
    QCOMPARE(found, hasRsaAes128Sha);
}

void TstTlsContext::unknownCiphersAreASettingsProblem()
{
    MqttConfig c;
    c.host = QStringLiteral("broker.example.com");
    c.tls = true;
    c.tlsCiphers = QStringLiteral("NO-SUCH-CIPHER");
    TlsContext::Problem problem;
    QVERIFY(!TlsContext::create(c, &problem));
    QCOMPARE(problem.kind, P::Settings);
    QVERIFY2(problem.message.contains(QStringLiteral("NO-SUCH-CIPHER")), qPrintable(problem.message));
    QVERIFY(MessageSource::isConfigProblem(problem.kind));
}

QTEST_APPLESS_MAIN(TstTlsContext)
#include "tst_tlscontext.moc"
