// SPDX-License-Identifier: MIT
// The options PostgresSink gives QPSQL: sslmode and the TLS files reach libpq, quoted so that a path with spaces or
// quotes stays one value; keepalives and tcp_user_timeout are always set.
#include "storage/postgressink.h"

#include <QTest>

using namespace iot;
using namespace Qt::StringLiterals;

namespace {
// The same for every row: keepalives and tcp_user_timeout, so a host that vanishes is noticed by the kernel.
const QString KeepAlive = u";keepalives=1;keepalives_idle=5;keepalives_interval=2;keepalives_count=3;tcp_user_timeout=12000"_s;
} // namespace

class TstPostgresConnectOptions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void options_data();
    void options();
};

void TstPostgresConnectOptions::options_data()
{
    QTest::addColumn<QString>("sslmode");
    QTest::addColumn<QString>("rootCert");
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");
    QTest::newRow("defaults") << u"prefer"_s << u""_s << u""_s << u""_s
                              << u"connect_timeout=5;sslmode=prefer;application_name=iot-subscriber"_s + KeepAlive;
    QTest::newRow("verify-full with CA")
        << u"verify-full"_s << u"/etc/iot/ca.pem"_s << u""_s << u""_s
        << u"connect_timeout=5;sslmode=verify-full;sslrootcert='/etc/iot/ca.pem';application_name=iot-subscriber"_s + KeepAlive;
    QTest::newRow("client certificate")
        << u"verify-full"_s << u"/ca.pem"_s << u"/c.pem"_s << u"/k.pem"_s
        << u"connect_timeout=5;sslmode=verify-full;sslrootcert='/ca.pem';sslcert='/c.pem';sslkey='/k.pem';"
           u"application_name=iot-subscriber"_s + KeepAlive;
    QTest::newRow("space, quote and backslash")
        << u"verify-ca"_s << u"/my certs/it's\\ca.pem"_s << u""_s << u""_s
        << u"connect_timeout=5;sslmode=verify-ca;sslrootcert='/my certs/it\\'s\\\\ca.pem';application_name=iot-subscriber"_s + KeepAlive;
}

void TstPostgresConnectOptions::options()
{
    QFETCH(QString, sslmode);
    QFETCH(QString, rootCert);
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, expected);
    DatabaseConfig c;
    c.sslmode = sslmode;
    c.sslRootCert = rootCert;
    c.sslCert = cert;
    c.sslKey = key;
    QCOMPARE(PostgresSink::connectOptions(c), expected);
}

QTEST_APPLESS_MAIN(TstPostgresConnectOptions)
#include "tst_postgresconnectoptions.moc"
