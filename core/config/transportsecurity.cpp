// SPDX-License-Identifier: MIT
#include "config/transportsecurity.h"

#include <arpa/inet.h>

#include <cstring>

namespace iot::TransportSecurity {

bool isLoopbackHost(const QString &host)
{
    QString h = host.trimmed().toLower();
    if (h.isEmpty() || h.startsWith(QLatin1Char('/')) || h.startsWith(QLatin1Char('@')))
        return true;
    if (h.endsWith(QLatin1Char('.')))
        h.chop(1);
    if (h == QLatin1String("localhost") || h.endsWith(QLatin1String(".localhost")))
        return true;
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    const QByteArray text = h.toLatin1();
    unsigned char v4[4];
    if (inet_pton(AF_INET, text.constData(), v4) == 1)
        return v4[0] == 127;
    unsigned char v6[16];
    if (inet_pton(AF_INET6, text.constData(), v6) == 1) {
        static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};  // ::ffff:a.b.c.d
        if (std::memcmp(v6, loopback, 16) == 0)
            return true;
        return std::memcmp(v6, mapped, 12) == 0 && v6[12] == 127;
    }
    return false;
}

QStringList warnings(const Config &config)
{
    QStringList out;
    const MqttConfig &m = config.mqtt;
    const QString broker = m.host + QLatin1Char(':') + QString::number(m.port);
    if (!m.tls && (!m.username.isEmpty() || !m.password.isEmpty()) && !isLoopbackHost(m.host))
        out << QStringLiteral("MQTT credentials go to broker %1 in clear text (mqtt.tls = false): anyone on the "
                              "network path can read them; set tls = true")
                   .arg(broker);
    if (m.tls && !m.tlsVerify)
        out << QStringLiteral("TLS CERTIFICATE VERIFICATION IS OFF (mqtt.tls_verify = false): broker %1 is not "
                              "authenticated, anyone on the network path can pose as it, read the data%2; set "
                              "tls_verify = true and tls_ca_file")
                   .arg(broker, m.password.isEmpty() ? QString() : QStringLiteral(" and capture the password"));
    const DatabaseConfig &db = config.database;
    if (db.driver == DbDriver::Postgres && !db.password.isEmpty() && !isLoopbackHost(db.host)
        && db.sslmode != QLatin1String("verify-full"))
        out << QStringLiteral("the database password goes to %1:%2 with sslmode = %3: the server is not "
                              "authenticated%4; set sslmode = \"verify-full\" and sslrootcert")
                   .arg(db.host)
                   .arg(db.port)
                   .arg(db.sslmode,
                        db.sslmode == QLatin1String("verify-ca")
                            ? QStringLiteral(" by name (any certificate from the CA is taken)")
                            : QStringLiteral(", the connection may be unencrypted or go to an impostor"));
    return out;
}

} // namespace iot::TransportSecurity
