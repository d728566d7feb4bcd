// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QStringList>
#include <QString>

namespace iot {

/// One MQTT topic filter with the QoS we subscribe it at.
struct TopicFilter
{
    QString filter;
    int qos = 0;
    bool operator==(const TopicFilter &) const = default;
};

/// [mqtt] — the reference keys host, port, topic, qos plus our additions.
struct MqttConfig
{
    QString host = QStringLiteral("localhost");
    int port = 1883;
    QList<TopicFilter> topics{{QStringLiteral("sensors/#"), 1}};  // `topic` + `qos`, or `topics = [...]`
    QString clientId;            // empty: "iot-subscriber-<hostname>" (stable across restarts)
    QString username;
    QString password;            // secret; env IOT_MQTT_PASSWORD overrides
    int keepAliveSec = 60;
    bool cleanSession = false;   // false: persistent session, the broker queues QoS>=1 while we are away
    int sessionExpirySec = 7 * 24 * 3600;  // MQTT 5 only: how long the broker keeps our session
    int protocolVersion = 4;     // 4 = MQTT 3.1.1, 5 = MQTT 5 (config: "3.1.1" or "5")
    bool tls = false;
    QString tlsCaFile;
    QString tlsCertFile;
    QString tlsKeyFile;
    bool tlsVerify = true;       // verify the broker's certificate and host name
    QString tlsMinVersion;       // "", "1.2" or "1.3": the lowest TLS version offered ("" = OpenSSL's default)
    QString tlsCiphers;          // OpenSSL cipher list for TLS 1.2 ("" = OpenSSL's default); TLS 1.3 suites unchanged

    bool operator==(const MqttConfig &) const = default;
};

enum class DbDriver { Sqlite, Postgres };

/// [database] — the reference keys name, user, password, host, port plus driver, SQLite path, tables, sslmode.
struct DatabaseConfig
{
    DbDriver driver = DbDriver::Sqlite;  // default: postgresql when the section names host/name/user/port
    QString path = QStringLiteral("iot-subscriber.sqlite");  // SQLite file
    QString name = QStringLiteral("iot");
    QString user = QStringLiteral("iot");
    QString password;            // secret; env IOT_DATABASE_PASSWORD overrides
    QString host = QStringLiteral("localhost");
    int port = 5432;
    QString sslmode = QStringLiteral("prefer");
    QString sslRootCert;         // CA file that verify-ca / verify-full check the server against (libpq sslrootcert)
    QString sslCert;             // client certificate (libpq sslcert), with sslKey
    QString sslKey;
    QString table = QStringLiteral("readings");
    QString deadLetterTable = QStringLiteral("dead_letters");
    int connectTimeoutSec = 5;
    int replyTimeoutSec = 10;    // a round trip with no answer by then (plus the transaction's allowance) is cut

    bool operator==(const DatabaseConfig &) const = default;
};

/// [subscriber] — batching and retry policy.
struct SubscriberConfig
{
    int batchSize = 20;                    // hand a batch to the writer at this many messages ...
    double flushIntervalSec = 5.0;         // ... or this long after its first message
    double mqttReconnDelaySec = 5.0;       // base of the exponential reconnect back-off
    double mqttReconnMaxDelaySec = 60.0;   // cap of the back-off
    double errorRetryDelaySec = 5.0;       // database retry period
    int maxBufferedMessages = 50000;       // held in memory; beyond it the backlog is read back from the spool (or, without a spool, reading pauses)
    int maxBufferedMb = 64;                // the same bound in MiB of topics + payloads held; whichever is reached first
    int maxTransactionRows = 50000;        // group-commit cap of one database transaction
    int maxPayloadBytes = 1024 * 1024;     // larger payloads are dead-lettered
    double shutdownTimeoutSec = 15.0;      // SIGTERM: how long we try to commit what is buffered
    double statsLogIntervalSec = 10.0;     // a progress line in the log this often (0: never)

    bool operator==(const SubscriberConfig &) const = default;
};

/// [observability] — metrics and traces.
struct ObservabilityConfig
{
    QString traceEndpoint;                 // empty: tracing off
    QString serviceName = QStringLiteral("iot-subscriber");
    int prometheusPort = 8001;             // 0: metrics endpoint off
    QString metricsBindAddress = QStringLiteral("127.0.0.1");
    QString authTokenFile;                 // bearer token for /metrics (and detail in the health checks); empty: none
    QString authToken;                     // secret, never a config key: env IOT_OBSERVABILITY_TOKEN (wins over the file)
    QString tlsCertFile;                   // PEM certificate (chain) for HTTPS on prometheus_port; empty: plain HTTP
    QString tlsKeyFile;                    // its unencrypted PEM key; set both or neither

    bool operator==(const ObservabilityConfig &) const = default;
};

/// [spool] — the disk log that makes a crash or a long outage lose nothing.
struct SpoolConfig
{
    bool enabled = true;
    QString dir = QStringLiteral("iot-subscriber-spool");  // one directory per running instance
    int segmentMb = 64;                    // size of one segment file
    int maxMb = 1024;                      // cap on disk; at the cap MQTT reading pauses (the broker holds the rest)
    int syncIntervalMs = 200;              // fdatasync cadence: what a power loss (not a crash) may cost
    bool operator==(const SpoolConfig &) const = default;
};

/// One column of a mapped table: where its value comes from and its SQL type.
struct ColumnMapping
{
    enum class Type { Integer, Double, Text, Boolean, Timestamptz, Jsonb };
    enum class Source {
        JsonPointer,   // "/temperature", "/meta/unit" (RFC 6901)
        TopicSegment,  // "topic:room" — a {room} level of the rule's topic pattern
        Topic,         // "topic" — the whole topic
        ReceivedAt,    // "received_at"
        Payload,       // "payload" — the whole payload (JSON)
        Value,         // "value" — the whole payload as one value (plain numeric payloads such as 21.5)
        ClockSkew,     // "clock_skew" — true when the device time is off by more than max_clock_skew_sec
    };
    enum class TimeEncoding { Auto, Iso8601, EpochSeconds, EpochMillis, EpochMicros };

    QString name;
    Type type = Type::Text;
    Source source = Source::JsonPointer;
    QString path;              // pointer or segment name
    bool required = false;
    TimeEncoding time = TimeEncoding::Auto;
    bool operator==(const ColumnMapping &) const = default;
};

/// [[mappings]] — messages whose topic matches one of `topics` land in `table`, one column per ColumnMapping.
struct MappingRule
{
    QString name;
    QStringList topics;        // patterns: MQTT filters whose levels may be {name} (one level, captured)
    QString table;
    QList<ColumnMapping> columns;
    QStringList unique;        // idempotency key: duplicates are skipped and counted
    QString timeColumn;        // device-time column: skew check, index, hypertable
    bool hypertable = false;   // TimescaleDB, on time_column
    double maxClockSkewSec = 0;  // 0: no check
    bool skewToDeadLetter = true;  // on_clock_skew = "dead_letter" (default) or "flag"
    bool operator==(const MappingRule &) const = default;
};

/// [[alerts]] — one rule: a value condition on a field of matching topics, staleness of matching topics, or a
/// condition on the pipeline itself. Which kind is given by the keys present (core/alerts/README.md).
struct AlertRule
{
    enum class Kind { Value, Stale, DbNotWriting, Backlog, DeadLettersPerMin, SpoolPercent };
    enum class Condition { Above, Below, Outside, Equals };

    QString name;
    Kind kind = Kind::Value;
    QString topic;             // MQTT filter (Value, Stale)
    QString field;             // as written: a JSON pointer or a column name of a [[mappings]] rule
    QString pointer;           // the JSON pointer it resolves to; "" = the whole payload as a number
    Condition condition = Condition::Above;
    double threshold = 0;      // above / below / equals
    double low = 0;            // outside = [low, high]
    double high = 0;
    double forSec = 0;         // the condition must hold this long before the alert fires
    double hysteresis = 0;     // resolve only once back past threshold ∓ hysteresis
    double staleAfterSec = 0;  // Stale
    double limit = 0;          // pipeline rules: seconds, messages, dead letters per minute or percent
    QString severity = QStringLiteral("warning");
    QString summary;
    QString description;
    bool operator==(const AlertRule &) const = default;
};

/// [alerting] — where fired alerts go besides the log, the metrics and the window.
struct AlertingConfig
{
    QString alertmanagerUrl;               // empty: no Alertmanager; else its base URL (we POST /api/v2/alerts)
    double resendIntervalSec = 60;         // firing alerts are re-sent this often (endsAt = now + 4 × this)
    double evaluateIntervalSec = 1;        // how often the rules are evaluated
    int maxTopicsPerRule = 10000;          // per-topic state of one rule; topics beyond are counted, not tracked
    bool operator==(const AlertingConfig &) const = default;
};

/// The whole effective configuration, as loaded from config.toml plus environment overrides.
struct Config
{
    QString sourceFile;                    // where it was loaded from (empty: built-in defaults)
    MqttConfig mqtt;
    DatabaseConfig database;
    SubscriberConfig subscriber;
    ObservabilityConfig observability;
    SpoolConfig spool;
    QList<MappingRule> mappings;
    QList<AlertRule> alerts;
    AlertingConfig alerting;
    bool unmatchedToDeadLetter = false;    // [database] unmatched = "raw" (default) or "dead_letter"
    QStringList fromEnvironment;           // keys whose value an environment variable set ("mqtt.password")

    bool operator==(const Config &) const = default;
};

} // namespace iot
