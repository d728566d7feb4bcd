// SPDX-License-Identifier: MIT
#include "tlstestenv.h"

#include <QDir>
#include <QFile>
#include <QTcpServer>

#include <unistd.h>

namespace iot::test {
namespace {

// A port on 127.0.0.1 that nobody listens on now, from `first` on (bound and released).
int freePortFrom(int first, int *next)
{
    for (int p = std::max(first, *next); p < first + 100; ++p) {
        QTcpServer s;
        if (s.listen(QHostAddress::LocalHost, quint16(p))) {
            *next = p + 1;
            return p;
        }
    }
    return 0;
}

int envPort(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v > 0 ? v : fallback;
}

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

} // namespace

TlsTestEnv::~TlsTestEnv()
{
    if (m_brokerStarted)
        runProgram(m_brokerCtl, {QStringLiteral("stop"), file(QStringLiteral("broker"))}, 30000);
    if (m_pgStarted)
        runProgram(m_pgCtl, {QStringLiteral("stop"), file(QStringLiteral("pg"))}, 60000);
}

bool TlsTestEnv::makeCertificates(QString *error)
{
    const QString openssl = QStringLiteral("openssl");
    const QStringList ec{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                         QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes")};
    const auto run = [&](const QStringList &args) {
        QString out;
        if (runProgram(openssl, args, 30000, &out))
            return true;
        *error = QStringLiteral("openssl %1: %2").arg(args.join(QLatin1Char(' ')), out);
        return false;
    };
    const auto ca = [&](const QString &name, const QString &cn) {
        return run(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
                   + QStringList{QStringLiteral("-keyout"), file(name + QStringLiteral(".key")), QStringLiteral("-out"),
                                 file(name + QStringLiteral(".pem")), QStringLiteral("-days"), QStringLiteral("2"),
                                 QStringLiteral("-subj"), QStringLiteral("/CN=") + cn});
    };
    // A certificate signed by the test CA, with the extensions given.
    const auto leaf = [&](const QString &name, const QString &cn, const QByteArray &extensions) {
        const QString ext = file(name + QStringLiteral(".ext"));
        if (!writeFile(ext, extensions)) {
            *error = QStringLiteral("cannot write ") + ext;
            return false;
        }
        return run(QStringList{QStringLiteral("req"), QStringLiteral("-new")} + ec
                   + QStringList{QStringLiteral("-keyout"), file(name + QStringLiteral(".key")), QStringLiteral("-out"),
                                 file(name + QStringLiteral(".csr")), QStringLiteral("-subj"), QStringLiteral("/CN=") + cn})
            && run({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), file(name + QStringLiteral(".csr")),
                    QStringLiteral("-CA"), file(QStringLiteral("ca.pem")), QStringLiteral("-CAkey"),
                    file(QStringLiteral("ca.key")), QStringLiteral("-CAcreateserial"), QStringLiteral("-out"),
                    file(name + QStringLiteral(".pem")), QStringLiteral("-days"), QStringLiteral("2"),
                    QStringLiteral("-extfile"), ext});
    };
    if (!QDir().mkpath(file(QStringLiteral("capath")))) {
        *error = QStringLiteral("cannot create ") + file(QStringLiteral("capath"));
        return false;
    }
    if (!ca(QStringLiteral("ca"), QStringLiteral("IoT test CA")) || !ca(QStringLiteral("foreign-ca"), QStringLiteral("Foreign CA"))
        || !leaf(QStringLiteral("server"), QStringLiteral("localhost"),
                 "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        || !leaf(QStringLiteral("localhost-only"), QStringLiteral("localhost"),
                 "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        || !leaf(QStringLiteral("client"), QStringLiteral("iot-subscriber"),
                 "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"))
        return false;
    if (!QFile::copy(file(QStringLiteral("ca.pem")), file(QStringLiteral("capath/ca.pem")))) {
        *error = QStringLiteral("cannot copy ca.pem into capath/");
        return false;
    }
    // OpenSSL finds a CA in a directory by the hash of its subject only.
    return run({QStringLiteral("rehash"), file(QStringLiteral("capath"))});
}

bool TlsTestEnv::startBroker(const Servers &servers, QString *error)
{
    m_brokerCtl = servers.brokerCtl;
    int next = 0;
    const int from = envPort("IOT_TEST_TLS_PORT_FROM", 21900);
    m_plain = freePortFrom(from, &next);
    m_tls = freePortFrom(from, &next);
    m_mutual = freePortFrom(from, &next);
    m_localhostOnly = freePortFrom(from, &next);
    if (!m_plain || !m_tls || !m_mutual || !m_localhostOnly) {
        *error = QStringLiteral("no free ports from %1 on").arg(from);
        return false;
    }
    const auto listener = [this](int port, const QString &cert, bool requireCertificate) {
        QStringList l{QStringLiteral("listener %1 127.0.0.1").arg(port),
                      QStringLiteral("cafile ") + file(QStringLiteral("ca.pem")),
                      QStringLiteral("certfile ") + file(cert + QStringLiteral(".pem")),
                      QStringLiteral("keyfile ") + file(cert + QStringLiteral(".key"))};
        if (requireCertificate)
            l << QStringLiteral("require_certificate true");
        return l;
    };
    const QStringList args = QStringList{QStringLiteral("start"), file(QStringLiteral("broker")), QString::number(m_plain)}
        + listener(m_tls, QStringLiteral("server"), false) + listener(m_mutual, QStringLiteral("server"), true)
        + listener(m_localhostOnly, QStringLiteral("localhost-only"), false);
    if (!runProgram(m_brokerCtl, args, 30000, error))
        return false;
    m_brokerStarted = true;
    return true;
}

bool TlsTestEnv::startPostgres(const Servers &servers, QString *error)
{
    m_pgCtl = servers.pgCtl;
    int next = 0;
    m_pgPort = freePortFrom(envPort("IOT_TEST_TLS_PG_PORT_FROM", 35500), &next);
    if (!m_pgPort) {
        *error = QStringLiteral("no free PostgreSQL port");
        return false;
    }
    const QString data = file(QStringLiteral("pg"));
    const QString port = QString::number(m_pgPort);
    if (!runProgram(m_pgCtl, {QStringLiteral("init"), data, port}, 120000, error))
        return false;
    m_pgStarted = true;
    if (!runProgram(m_pgCtl, {QStringLiteral("stop"), data}, 60000, error))
        return false;
    // The key must belong to the server's user and be private, or PostgreSQL refuses to start.
    for (const QString &name : {QStringLiteral("server.pem"), QStringLiteral("server.key")}) {
        QFile::remove(data + QLatin1Char('/') + name);
        if (!QFile::copy(file(name), data + QLatin1Char('/') + name)) {
            *error = QStringLiteral("cannot copy ") + name;
            return false;
        }
        QFile::setPermissions(data + QLatin1Char('/') + name, QFile::ReadOwner | QFile::WriteOwner);
        if (::geteuid() == 0
            && !runProgram(QStringLiteral("chown"), {QStringLiteral("postgres:postgres"), data + QLatin1Char('/') + name},
                           10000, error))
            return false;
    }
    QFile conf(data + QStringLiteral("/postgresql.conf"));
    if (!conf.open(QIODevice::Append)) {
        *error = QStringLiteral("cannot append to postgresql.conf");
        return false;
    }
    conf.write("\n# tst_tls\nssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n");
    conf.close();
    return runProgram(m_pgCtl, {QStringLiteral("start"), data, port}, 60000, error);
}

Servers TlsTestEnv::withPostgres(const Servers &shared) const
{
    Servers s = shared;
    s.pgPort = m_pgPort;
    s.pgData = file(QStringLiteral("pg"));
    return s;
}

} // namespace iot::test
