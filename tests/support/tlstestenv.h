// SPDX-License-Identifier: MIT
#pragma once

#include "testenv.h"

#include <QString>

namespace iot::test {

/// Certificates made with the openssl command in a directory of the test's, and servers that use them: a mosquitto
/// with TLS listeners and a PostgreSQL with ssl = on, both private to the test (the shared ones stay untouched).
/// Files in dir(): ca.pem (the test CA), capath/ (ca.pem, hashed by 'openssl rehash'), server.pem/.key (signed by
/// the CA, subjectAltName DNS:localhost and IP:127.0.0.1), localhost-only.pem/.key (DNS:localhost only),
/// client.pem/.key (a client certificate signed by the CA), foreign-ca.pem (another CA, trusted by nobody).
class TlsTestEnv final
{
public:
    explicit TlsTestEnv(QString dir) : m_dir(std::move(dir)) {}
    ~TlsTestEnv();
    Q_DISABLE_COPY_MOVE(TlsTestEnv)

    /// Makes the certificates; false with `error` set on failure.
    bool makeCertificates(QString *error);
    QString dir() const { return m_dir; }
    QString file(const QString &name) const { return m_dir + QLatin1Char('/') + name; }

    /// A mosquitto (scripts/testenv/broker.sh) with a plain listener for publishers and three TLS listeners:
    /// tlsPort() (server.pem), mutualPort() (server.pem, require_certificate), localhostOnlyPort()
    /// (localhost-only.pem). Ports from IOT_TEST_TLS_PORT_FROM (default 21900) on.
    bool startBroker(const Servers &servers, QString *error);
    int plainPort() const { return m_plain; }
    int tlsPort() const { return m_tls; }
    int mutualPort() const { return m_mutual; }
    int localhostOnlyPort() const { return m_localhostOnly; }

    /// A PostgreSQL (scripts/testenv/pg.sh) with ssl = on and server.pem, on a port from IOT_TEST_TLS_PG_PORT_FROM
    /// (default 35500) on; its superuser and password are the shared test server's. servers() describes it.
    bool startPostgres(const Servers &servers, QString *error);
    /// `shared` with the PostgreSQL of startPostgres() in place of the shared one.
    Servers withPostgres(const Servers &shared) const;

private:
    QString m_dir;
    QString m_brokerCtl;
    QString m_pgCtl;
    bool m_brokerStarted = false;
    bool m_pgStarted = false;
    int m_plain = 0, m_tls = 0, m_mutual = 0, m_localhostOnly = 0, m_pgPort = 0;
};

} // namespace iot::test
