// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QString>
#include <QStringList>

namespace iot {

/// What the configuration leaves open on the wire: credentials in clear text or to an unverified server. Pure
/// functions over the configuration, any thread; the engine logs the warnings at every start.
namespace TransportSecurity {

/// True for a host that never leaves the machine: "localhost" (and *.localhost), 127.0.0.0/8, ::1, a Unix socket
/// directory ("/run/postgresql") and, for libpq, the empty host (its default Unix socket). Names are not resolved.
bool isLoopbackHost(const QString &host);

/// One line per exposure, for the log: MQTT credentials to a non-loopback broker without TLS, TLS without
/// certificate verification (tls_verify = false), a database password to a non-loopback host without
/// sslmode = verify-full.
QStringList warnings(const Config &config);

} // namespace TransportSecurity
} // namespace iot
