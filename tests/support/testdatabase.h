// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "testenv.h"

namespace iot::test {

/// The [database] section that reaches database `name` on the test PostgreSQL (plain TCP on loopback). Header-only
/// so iot_testsupport stays free of iot_core; the tests that include it link iot_core anyway.
inline DatabaseConfig pgDatabase(const Servers &servers, const QString &name)
{
    DatabaseConfig db;
    db.driver = DbDriver::Postgres;
    db.host = servers.pgHost;
    db.port = servers.pgPort;
    db.user = servers.pgUser;
    db.password = servers.pgPassword;
    db.name = name;
    db.sslmode = QStringLiteral("disable");
    return db;
}

} // namespace iot::test
