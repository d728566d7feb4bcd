// SPDX-License-Identifier: MIT
#include "config/configkeys.h"

#include "config/configloader.h"
#include "config/secrets.h"
#include "config/tomlreader.h"

#include <QStringList>

#include <array>

namespace iot {
namespace {

using namespace std::string_view_literals;

QString str(const QString &value)
{
    return TomlReader::quote(value);
}

QString secret(const QString &value, bool mask)
{
    return TomlReader::quote(mask && !value.isEmpty() ? Secrets::mask() : value);
}

QString num(double value)
{
    return TomlReader::formatNumber(value);
}

QString integer(int value)
{
    return QString::number(value);
}

QString boolean(bool value)
{
    return value ? QStringLiteral("true") : QStringLiteral("false");
}

QString topics(const QList<TopicFilter> &filters)
{
    QStringList out;
    for (const TopicFilter &f : filters)
        out << QStringLiteral("{ filter = ") + str(f.filter) + QStringLiteral(", qos = ") + integer(f.qos)
                + QStringLiteral(" }");
    return u'[' + out.join(QStringLiteral(", ")) + u']';
}

QString secretUrl(const QString &url, bool mask)
{
    // Collectors behind basic auth or a token carry the credential in the URL.
    return str(mask ? Secrets::maskUrl(url) : url);
}

// One line per key: section, key, how its effective value is written.
#define IOT_KEY(section, key, expr)                                                                                    \
    ConfigKey{std::string_view(section), std::string_view(key), [](const Config &c, bool mask) {                       \
                  Q_UNUSED(mask);                                                                                      \
                  return expr;                                                                                         \
              }}
#define IOT_READ_ONLY(section, key) ConfigKey{std::string_view(section), std::string_view(key), nullptr}
// A string key that is secret or overridden from the environment (env: "" for none): its field is named once.
#define IOT_TEXT_KEY(section, key, member, toToml, secrecy, env)                                                       \
    ConfigKey{std::string_view(section), std::string_view(key),                                                        \
              [](const Config &c, bool mask) {                                                                         \
                  Q_UNUSED(mask);                                                                                      \
                  return toToml(c.member, mask);                                                                       \
              },                                                                                                       \
              secrecy, std::string_view(env), [](const Config &c) -> const QString & { return c.member; },             \
              [](Config &c) -> QString & { return c.member; }}

QString plain(const QString &value, bool)
{
    return str(value);
}

const std::array Keys{
    IOT_KEY("mqtt", "host", str(c.mqtt.host)),
    IOT_KEY("mqtt", "port", integer(c.mqtt.port)),
    IOT_READ_ONLY("mqtt", "topic"),
    IOT_READ_ONLY("mqtt", "qos"),
    IOT_KEY("mqtt", "topics", topics(c.mqtt.topics)),
    IOT_KEY("mqtt", "client_id", str(c.mqtt.clientId)),
    IOT_TEXT_KEY("mqtt", "username", mqtt.username, plain, Secrecy::None, "IOT_MQTT_USERNAME"),
    IOT_TEXT_KEY("mqtt", "password", mqtt.password, secret, Secrecy::Value, "IOT_MQTT_PASSWORD"),
    IOT_KEY("mqtt", "keepalive", integer(c.mqtt.keepAliveSec)),
    IOT_KEY("mqtt", "clean_session", boolean(c.mqtt.cleanSession)),
    IOT_KEY("mqtt", "session_expiry_sec", integer(c.mqtt.sessionExpirySec)),
    IOT_KEY("mqtt", "protocol", str(c.mqtt.protocolVersion == 5 ? QStringLiteral("5") : QStringLiteral("3.1.1"))),
    IOT_KEY("mqtt", "tls", boolean(c.mqtt.tls)),
    IOT_KEY("mqtt", "tls_ca_file", str(c.mqtt.tlsCaFile)),
    IOT_KEY("mqtt", "tls_cert_file", str(c.mqtt.tlsCertFile)),
    IOT_KEY("mqtt", "tls_key_file", str(c.mqtt.tlsKeyFile)),
    IOT_KEY("mqtt", "tls_verify", boolean(c.mqtt.tlsVerify)),
    IOT_KEY("mqtt", "tls_min_version", str(c.mqtt.tlsMinVersion)),
    IOT_KEY("mqtt", "tls_ciphers", str(c.mqtt.tlsCiphers)),

    IOT_KEY("database", "driver",
            str(c.database.driver == DbDriver::Postgres ? QStringLiteral("postgresql") : QStringLiteral("sqlite"))),
    IOT_KEY("database", "path", str(c.database.path)),
    IOT_KEY("database", "name", str(c.database.name)),
    IOT_TEXT_KEY("database", "user", database.user, plain, Secrecy::None, "IOT_DATABASE_USER"),
    IOT_TEXT_KEY("database", "password", database.password, secret, Secrecy::Value, "IOT_DATABASE_PASSWORD"),
    IOT_KEY("database", "host", str(c.database.host)),
    IOT_KEY("database", "port", integer(c.database.port)),
    IOT_KEY("database", "sslmode", str(c.database.sslmode)),
    IOT_KEY("database", "sslrootcert", str(c.database.sslRootCert)),
    IOT_KEY("database", "sslcert", str(c.database.sslCert)),
    IOT_KEY("database", "sslkey", str(c.database.sslKey)),
    IOT_KEY("database", "table", str(c.database.table)),
    IOT_KEY("database", "dead_letter_table", str(c.database.deadLetterTable)),
    IOT_KEY("database", "connect_timeout_sec", integer(c.database.connectTimeoutSec)),
    IOT_KEY("database", "reply_timeout_sec", integer(c.database.replyTimeoutSec)),
    IOT_KEY("database", "unmatched",
            str(c.unmatchedToDeadLetter ? QStringLiteral("dead_letter") : QStringLiteral("raw"))),

    IOT_KEY("subscriber", "batch_size", integer(c.subscriber.batchSize)),
    IOT_KEY("subscriber", "flush_interval", num(c.subscriber.flushIntervalSec)),
    IOT_KEY("subscriber", "mqtt_reconn_delay_sec", num(c.subscriber.mqttReconnDelaySec)),
    IOT_KEY("subscriber", "mqtt_reconn_max_delay_sec", num(c.subscriber.mqttReconnMaxDelaySec)),
    IOT_KEY("subscriber", "error_retry_delay_sec", num(c.subscriber.errorRetryDelaySec)),
    IOT_KEY("subscriber", "max_buffered_messages", integer(c.subscriber.maxBufferedMessages)),
    IOT_KEY("subscriber", "max_buffered_mb", integer(c.subscriber.maxBufferedMb)),
    IOT_KEY("subscriber", "max_transaction_rows", integer(c.subscriber.maxTransactionRows)),
    IOT_KEY("subscriber", "max_payload_bytes", integer(c.subscriber.maxPayloadBytes)),
    IOT_KEY("subscriber", "shutdown_timeout_sec", num(c.subscriber.shutdownTimeoutSec)),
    IOT_KEY("subscriber", "stats_log_interval_sec", num(c.subscriber.statsLogIntervalSec)),

    IOT_TEXT_KEY("observability", "trace_endpoint", observability.traceEndpoint, secretUrl, Secrecy::Url, ""),
    IOT_KEY("observability", "service_name", str(c.observability.serviceName)),
    IOT_KEY("observability", "prometheus_port", integer(c.observability.prometheusPort)),
    IOT_KEY("observability", "metrics_bind_address", str(c.observability.metricsBindAddress)),
    IOT_KEY("observability", "auth_token_file", str(c.observability.authTokenFile)),
    IOT_KEY("observability", "tls_cert_file", str(c.observability.tlsCertFile)),
    IOT_KEY("observability", "tls_key_file", str(c.observability.tlsKeyFile)),

    IOT_KEY("spool", "enabled", boolean(c.spool.enabled)),
    IOT_KEY("spool", "dir", str(c.spool.dir)),
    IOT_KEY("spool", "segment_mb", integer(c.spool.segmentMb)),
    IOT_KEY("spool", "max_mb", integer(c.spool.maxMb)),
    IOT_KEY("spool", "sync_interval_ms", integer(c.spool.syncIntervalMs)),
};

#undef IOT_KEY
#undef IOT_READ_ONLY
#undef IOT_TEXT_KEY

constexpr std::array Sections{"mqtt"sv, "database"sv, "subscriber"sv, "observability"sv, "spool"sv, "mappings"sv, "alerts"sv,
    "alerting"sv};

} // namespace

namespace ConfigKeys {

std::span<const ConfigKey> all()
{
    return Keys;
}

std::span<const std::string_view> sections()
{
    return Sections;
}

std::vector<std::string_view> of(std::string_view section)
{
    std::vector<std::string_view> keys;
    for (const ConfigKey &k : Keys)
        if (k.section == section)
            keys.push_back(k.key);
    return keys;
}

const ConfigKey *find(std::string_view section, std::string_view key)
{
    for (const ConfigKey &k : Keys)
        if (k.section == section && k.key == key)
            return &k;
    return nullptr;
}

} // namespace ConfigKeys

QString ConfigKey::name() const
{
    return QLatin1String(section.data(), qsizetype(section.size())) + u'.'
        + QLatin1String(key.data(), qsizetype(key.size()));
}

} // namespace iot
