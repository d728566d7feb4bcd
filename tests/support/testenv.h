// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace iot::test {

/// The throw-away mosquitto and PostgreSQL that scripts/test.sh started, as its IOT_TEST_* variables describe them.
struct Servers
{
    QString mqttHost;
    int mqttPort = 0;
    QString pgHost;
    int pgPort = 0;
    QString pgUser;
    QString pgPassword;
    QString pgDatabase;
    QString pgData;      // data directory, for stopping and starting the server
    QString pgCtl;       // scripts/testenv/pg.sh
    QString brokerCtl;   // scripts/testenv/broker.sh
    QString tmp;         // scratch space that the script removes afterwards

    /// Stops / starts the test PostgreSQL (to simulate an outage). Returns false with output on failure.
    bool stopPostgres(QString *output = nullptr) const;
    bool startPostgres(QString *output = nullptr) const;
    /// A private broker in `dir` (so a test may restart it without disturbing the shared one).
    bool startBroker(const QString &dir, int port, QString *output = nullptr) const;
    bool stopBroker(const QString &dir, QString *output = nullptr) const;
};

/// What a test's subscriber should do; turned into a config.toml by subscriberConfig().
struct SubscriberSetup
{
    bool postgres = true;
    QString database;             // PostgreSQL database name, or SQLite file path
    QString topic = QStringLiteral("sensors/#");
    int qos = 1;
    QString clientId;
    bool mqtt5 = false;           // protocol = "5" (session expiry, MQTT 5 subscribe)
    int mqttPort = 0;             // 0: the shared test broker
    QString mqttHost;             // empty: the shared test broker's
    QString extraMqttKeys;        // raw TOML lines appended to [mqtt] (tls = true, ...)
    QString sslmode = QStringLiteral("disable");
    QString extraDatabaseKeys;    // raw TOML lines appended to [database] (sslrootcert, ...)
    int batchSize = 500;
    double flushInterval = 0.2;
    double retryDelay = 0.5;
    QString extraSubscriberKeys;  // raw TOML lines appended to [subscriber]
    int prometheusPort = 0;       // /metrics, /healthz and /readyz on 127.0.0.1; 0: off
    QString extraObservabilityKeys;  // raw TOML lines appended to [observability] (trace_endpoint, ...)
    QString extraToml;            // raw TOML appended at the end (whole sections, e.g. [spool])
};
QString subscriberConfig(const Servers &servers, const SubscriberSetup &setup);

/// The servers, or nothing when the variables are missing. Under scripts/test.sh (IOT_TEST_REQUIRE_SERVERS=1)
/// a missing server is a failure, not a skip: see IOT_REQUIRE_SERVERS.
std::optional<Servers> servers();
bool serversRequired();

QString subscriberBinary();
QString simulateBinary();
/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test's private broker).
int freePort();
/// Writes `token` and a newline to DIR/token, readable only by the owner (what auth_token_file wants); returns its
/// path, or an empty string if it cannot be written.
QString writeTokenFile(const QString &dir, const QByteArray &token);
/// Runs a program and waits; false on a non-zero exit or timeout.
bool runProgram(const QString &program, const QStringList &args, int timeoutMs, QString *output = nullptr);

} // namespace iot::test

/// Declares `const iot::test::Servers srv` or ends the test: QFAIL under the test script, QSKIP elsewhere.
#define IOT_REQUIRE_SERVERS(srv)                                                                          \
    const auto srv##Opt = iot::test::servers();                                                           \
    if (!srv##Opt) {                                                                                      \
        if (iot::test::serversRequired())                                                                 \
            QFAIL("IOT_TEST_* variables missing: run through scripts/test.sh");                            \
        QSKIP("no test servers: run through scripts/test.sh");                                             \
    }                                                                                                     \
    const iot::test::Servers &srv = *srv##Opt
