// SPDX-License-Identifier: MIT
// Which hosts never leave the machine, and the warnings a start logs when credentials or data travel unprotected.
#include "config/transportsecurity.h"

#include <QTest>

using namespace iot;
using namespace Qt::StringLiterals;

class TstTransportSecurity final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void loopback_data();
    void loopback();
    void warnings_data();
    void warnings();
};

void TstTransportSecurity::loopback_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("localhost") << u"localhost"_s << true;
    QTest::newRow("LOCALHOST.") << u"LOCALHOST."_s << true;
    QTest::newRow("x.localhost") << u"db.localhost"_s << true;
    QTest::newRow("127.0.0.1") << u"127.0.0.1"_s << true;
    QTest::newRow("127.1.2.3") << u"127.1.2.3"_s << true;
    QTest::newRow("::1") << u"::1"_s << true;
    QTest::newRow("[::1]") << u"[::1]"_s << true;
    QTest::newRow("::ffff:127.0.0.1") << u"::ffff:127.0.0.1"_s << true;
    QTest::newRow("unix socket dir") << u"/run/postgresql"_s << true;
    QTest::newRow("empty (libpq's socket)") << u""_s << true;
    QTest::newRow("10.0.0.5") << u"10.0.0.5"_s << false;
    QTest::newRow("128.0.0.1") << u"128.0.0.1"_s << false;
    QTest::newRow("::2") << u"::2"_s << false;
    QTest::newRow("name") << u"broker.example.com"_s << false;
    QTest::newRow("localhost.example.com") << u"localhost.example.com"_s << false;
}

void TstTransportSecurity::loopback()
{
    QFETCH(QString, host);
    QFETCH(bool, loopback);
    QCOMPARE(TransportSecurity::isLoopbackHost(host), loopback);
}

void TstTransportSecurity::warnings_data()
{
    QTest::addColumn<QString>("mqttHost");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<bool>("verify");
    QTest::addColumn<QString>("mqttUser");
    QTest::addColumn<QString>("dbHost");
    QTest::addColumn<QString>("sslmode");
    QTest::addColumn<QString>("dbPassword");
    QTest::addColumn<QStringList>("words");   // one per expected warning, in order
    QTest::newRow("all loopback") << u"localhost"_s << false << true << u"u"_s << u"127.0.0.1"_s << u"prefer"_s << u"pw"_s
                                  << QStringList{};
    QTest::newRow("mqtt user in clear text") << u"broker.example.com"_s << false << true << u"u"_s << u"localhost"_s
                                             << u"prefer"_s << u"pw"_s << QStringList{u"in clear text"_s};
    QTest::newRow("mqtt user over tls") << u"broker.example.com"_s << true << true << u"u"_s << u"localhost"_s << u"prefer"_s
                                        << u"pw"_s << QStringList{};
    QTest::newRow("verification off, even on loopback") << u"localhost"_s << true << false << u""_s << u"localhost"_s
                                                        << u"prefer"_s << u""_s << QStringList{u"VERIFICATION IS OFF"_s};
    QTest::newRow("db password, prefer") << u"localhost"_s << false << true << u""_s << u"db.example.com"_s << u"prefer"_s
                                         << u"pw"_s << QStringList{u"sslmode = prefer"_s};
    QTest::newRow("db password, verify-ca") << u"localhost"_s << false << true << u""_s << u"db.example.com"_s
                                            << u"verify-ca"_s << u"pw"_s << QStringList{u"by name"_s};
    QTest::newRow("db password, verify-full") << u"localhost"_s << false << true << u""_s << u"db.example.com"_s
                                              << u"verify-full"_s << u"pw"_s << QStringList{};
    QTest::newRow("db without password") << u"localhost"_s << false << true << u""_s << u"db.example.com"_s << u"disable"_s
                                         << u""_s << QStringList{};
}

void TstTransportSecurity::warnings()
{
    QFETCH(QString, mqttHost);
    QFETCH(bool, tls);
    QFETCH(bool, verify);
    QFETCH(QString, mqttUser);
    QFETCH(QString, dbHost);
    QFETCH(QString, sslmode);
    QFETCH(QString, dbPassword);
    QFETCH(QStringList, words);
    Config c;
    c.mqtt.host = mqttHost;
    c.mqtt.tls = tls;
    c.mqtt.tlsVerify = verify;
    c.mqtt.username = mqttUser;
    c.database.driver = DbDriver::Postgres;
    c.database.host = dbHost;
    c.database.sslmode = sslmode;
    c.database.password = dbPassword;
    const QStringList out = TransportSecurity::warnings(c);
    QCOMPARE(out.size(), words.size());
    for (qsizetype i = 0; i < out.size(); ++i)
        QVERIFY2(out[i].contains(words[i]), qPrintable(out[i]));
    // No warning ever carries a secret.
    for (const QString &w : out)
        QVERIFY(dbPassword.isEmpty() || !w.contains(QStringLiteral("=") + dbPassword));
}

QTEST_APPLESS_MAIN(TstTransportSecurity)
#include "tst_transportsecurity.moc"
