// SPDX-License-Identifier: MIT
#include "config/configloader.h"

#include "mapping/mappingconfig.h"

#include "config/configkeys.h"
#include "config/configsections.h"
#include "config/secrets.h"
#include "config/tomlreader.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>

namespace iot {

namespace {

using namespace std::string_view_literals;

// Any of these in [database] means the author had a server in mind (the reference example names no driver).
constexpr std::array PostgresHintKeys{"name"sv, "user"sv, "password"sv, "host"sv, "port"sv};
constexpr std::array SslModes{"disable"sv, "allow"sv, "prefer"sv, "require"sv, "verify-ca"sv, "verify-full"sv};

using configsections::IntMax;
using configsections::portRange;
// Durations end up as int milliseconds in QTimer; a day keeps far away from overflow and from typos like 5000000.
constexpr double MaxSeconds = 86400.0;
constexpr qint64 MaxPayloadLimit = 256 * 1024 * 1024;

const QString Database = QStringLiteral("database");
const QString Subscriber = QStringLiteral("subscriber");
const QString Observability = QStringLiteral("observability");
const QString SpoolSection = QStringLiteral("spool");

QString positiveSeconds()
{
    return QStringLiteral("a positive number of seconds (at most 86400)");
}

void readDatabase(TomlReader &reader, const toml::table &t, DatabaseConfig &db)
{
    reader.rejectUnknownKeys(t, Database, ConfigKeys::of(Database.toStdString()));
    if (const toml::node *node = t.get("driver")) {
        const auto *text = node->as_string();
        if (text && (text->get() == "postgresql" || text->get() == "postgres"))
            db.driver = DbDriver::Postgres;
        else if (text && text->get() == "sqlite")
            db.driver = DbDriver::Sqlite;
        else
            reader.failExpected(*node, QStringLiteral("database.driver"),
                                QStringLiteral("\"postgresql\", \"postgres\" or \"sqlite\""));
    } else {
        const bool namesServer = std::any_of(PostgresHintKeys.begin(), PostgresHintKeys.end(),
                                             [&](std::string_view key) { return t.contains(key); });
        db.driver = namesServer ? DbDriver::Postgres : DbDriver::Sqlite;
    }
    if (auto v = reader.string(t, Database, "path", true))
        db.path = *v;
    if (auto v = reader.string(t, Database, "name"))
        db.name = *v;
    if (auto v = reader.string(t, Database, "user"))
        db.user = *v;
    if (auto v = reader.string(t, Database, "password", false, true))
        db.password = *v;
    if (auto v = reader.string(t, Database, "host"))
        db.host = *v;
    if (auto v = reader.integer(t, Database, "port", 1, 65535, portRange(1)))
        db.port = int(*v);

    if (const toml::node *node = t.get("sslmode")) {
        const auto *text = node->as_string();
        if (text && std::find(SslModes.begin(), SslModes.end(), text->get()) != SslModes.end())
            db.sslmode = QString::fromStdString(text->get());
        else
            reader.failExpected(*node, QStringLiteral("database.sslmode"),
                                QStringLiteral("one of disable, allow, prefer, require, verify-ca, verify-full"));
    }

    // Paths for libpq. Qt's QPSQL turns ';' in its connect options into spaces, so such a path cannot be passed on.
    for (auto [key, field] : {std::pair{"sslrootcert"sv, &db.sslRootCert}, std::pair{"sslcert"sv, &db.sslCert},
                              std::pair{"sslkey"sv, &db.sslKey}}) {
        const auto v = reader.string(t, Database, key);
        if (v && v->contains(QLatin1Char(';')))
            reader.failExpected(*t.get(key), TomlReader::keyPath(Database, key), QStringLiteral("a path without ';'"));
        else if (v)
            *field = *v;
    }
    if (db.sslCert.isEmpty() != db.sslKey.isEmpty()) {
        const std::string_view given = db.sslCert.isEmpty() ? "sslkey"sv : "sslcert"sv;
        if (const toml::node *node = t.get(given))
            reader.fail(node->source(), TomlReader::keyPath(Database, given),
                        QStringLiteral("sslcert and sslkey go together (the client certificate and its key)"));
    }

    for (auto [key, field] : {std::pair{"table"sv, &db.table}, std::pair{"dead_letter_table"sv, &db.deadLetterTable}}) {
        const toml::node *node = t.get(key);
        if (!node)
            continue;
        const auto *text = node->as_string();
        const QString value = text ? QString::fromStdString(text->get()) : QString();
        if (text && ConfigLoader::isSqlIdentifier(value))
            *field = value;
        else
            reader.failExpected(*node, TomlReader::keyPath(Database, key),
                                QStringLiteral("an SQL identifier (name or schema.name: letters, digits, _)"));
    }
    // SQLite compares identifiers case-insensitively, so "Readings" and "readings" are one table there.
    if (db.table.compare(db.deadLetterTable, Qt::CaseInsensitive) == 0) {
        const std::string_view key = t.contains("dead_letter_table") ? "dead_letter_table"sv : "table"sv;
        if (const toml::node *node = t.get(key))
            reader.fail(node->source(), TomlReader::keyPath(Database, key),
                        QStringLiteral("table and dead_letter_table must differ"));
    }

    if (auto v = reader.integer(t, Database, "connect_timeout_sec", 1, 600, QStringLiteral("an integer from 1 to 600")))
        db.connectTimeoutSec = int(*v);
    if (auto v = reader.integer(t, Database, "reply_timeout_sec", 1, 600, QStringLiteral("an integer from 1 to 600")))
        db.replyTimeoutSec = int(*v);
}

void readSubscriber(TomlReader &reader, const toml::table &t, SubscriberConfig &s)
{
    reader.rejectUnknownKeys(t, Subscriber, ConfigKeys::of(Subscriber.toStdString()));
    const auto batchSize = reader.integer(t, Subscriber, "batch_size", 1, IntMax, QStringLiteral("a positive integer"));
    s.batchSize = int(batchSize.value_or(s.batchSize));
    if (auto v = reader.number(t, Subscriber, "flush_interval", 0, true, MaxSeconds, positiveSeconds()))
        s.flushIntervalSec = *v;
    const auto reconnDelay =
        reader.number(t, Subscriber, "mqtt_reconn_delay_sec", 0, true, MaxSeconds, positiveSeconds());
    s.mqttReconnDelaySec = reconnDelay.value_or(s.mqttReconnDelaySec);
    if (auto v = reader.number(t, Subscriber, "error_retry_delay_sec", 0, true, MaxSeconds, positiveSeconds()))
        s.errorRetryDelaySec = *v;

    // Limits relative to another key: when that key is broken, its own error is the one to report.
    const bool reconnDelayUsable = !t.contains("mqtt_reconn_delay_sec") || reconnDelay;
    if (auto v = reader.number(t, Subscriber, "mqtt_reconn_max_delay_sec",
                               reconnDelayUsable ? s.mqttReconnDelaySec : 0.0, !reconnDelayUsable, MaxSeconds,
                               QStringLiteral("a number of seconds from mqtt_reconn_delay_sec (%1) to 86400")
                                   .arg(TomlReader::formatNumber(s.mqttReconnDelaySec)))) {
        s.mqttReconnMaxDelaySec = *v;
    } else if (!t.contains("mqtt_reconn_max_delay_sec")) {
        // only the reference key given: a larger base delay lifts the default cap instead of failing
        s.mqttReconnMaxDelaySec = std::max(s.mqttReconnMaxDelaySec, s.mqttReconnDelaySec);
    }
    const bool batchSizeUsable = !t.contains("batch_size") || batchSize;
    if (auto v = reader.integer(t, Subscriber, "max_buffered_messages", batchSizeUsable ? s.batchSize : 1, IntMax,
                                QStringLiteral("an integer >= batch_size (%1)").arg(s.batchSize))) {
        s.maxBufferedMessages = int(*v);
    } else if (!t.contains("max_buffered_messages")) {
        s.maxBufferedMessages = std::max(s.maxBufferedMessages, s.batchSize);
    }
    // Up to 1 TiB: the byte count stays far inside size_t, and no real host holds more.
    if (auto v = reader.integer(t, Subscriber, "max_buffered_mb", 1, 1024 * 1024,
                                QStringLiteral("an integer number of MiB from 1 to 1048576")))
        s.maxBufferedMb = int(*v);
    if (auto v = reader.integer(t, Subscriber, "max_transaction_rows", 1, IntMax, QStringLiteral("a positive integer")))
        s.maxTransactionRows = int(*v);
    if (auto v = reader.integer(t, Subscriber, "max_payload_bytes", 1, MaxPayloadLimit,
                                QStringLiteral("a positive integer up to 268435456 (256 MiB)")))
        s.maxPayloadBytes = int(*v);
    if (auto v = reader.number(t, Subscriber, "shutdown_timeout_sec", 0, true, MaxSeconds, positiveSeconds()))
        s.shutdownTimeoutSec = *v;
    if (auto v = reader.number(t, Subscriber, "stats_log_interval_sec", 0, false, MaxSeconds,
                               QStringLiteral("a number of seconds from 0 to 86400")))
        s.statsLogIntervalSec = *v;
}

void readObservability(TomlReader &reader, const toml::table &t, ObservabilityConfig &o)
{
    reader.rejectUnknownKeys(t, Observability, ConfigKeys::of(Observability.toStdString()));
    if (const auto v = reader.string(t, Observability, "trace_endpoint")) {
        if (v->isEmpty() || v->startsWith(QStringLiteral("http://"), Qt::CaseInsensitive)
            || v->startsWith(QStringLiteral("https://"), Qt::CaseInsensitive)) {
            o.traceEndpoint = *v;
        } else {
            // Quoted with its credentials masked: the message may end up in a log.
            reader.fail(t.get("trace_endpoint")->source(), QStringLiteral("observability.trace_endpoint"),
                        QStringLiteral("expected an http:// or https:// URL (or \"\" for off), got ")
                            + TomlReader::quote(Secrets::maskUrl(*v)));
        }
    }
    if (auto v = reader.string(t, Observability, "service_name", true))
        o.serviceName = *v;
    if (auto v = reader.integer(t, Observability, "prometheus_port", 0, 65535, portRange(0)))
        o.prometheusPort = int(*v);
    if (auto v = reader.string(t, Observability, "metrics_bind_address", true))
        o.metricsBindAddress = *v;
    if (auto v = reader.string(t, Observability, "auth_token_file"))
        o.authTokenFile = *v;
    const auto certFile = reader.string(t, Observability, "tls_cert_file");
    if (certFile)
        o.tlsCertFile = *certFile;
    const auto keyFile = reader.string(t, Observability, "tls_key_file");
    if (keyFile)
        o.tlsKeyFile = *keyFile;
    // A certificate without its key (or the reverse) cannot serve TLS, and plain HTTP instead would be a surprise
    // found only by a scraper's error. Only keys that read well are compared, so a type error is not reported twice.
    const auto usable = [&t](std::string_view key, const auto &value) { return !t.contains(key) || value; };
    if (usable("tls_key_file", keyFile) && !o.tlsCertFile.isEmpty() && o.tlsKeyFile.isEmpty())
        reader.fail(t.get("tls_cert_file")->source(), QStringLiteral("observability.tls_cert_file"),
                    QStringLiteral("tls_key_file must be given as well"));
    if (usable("tls_cert_file", certFile) && o.tlsCertFile.isEmpty() && !o.tlsKeyFile.isEmpty())
        reader.fail(t.get("tls_key_file")->source(), QStringLiteral("observability.tls_key_file"),
                    QStringLiteral("tls_cert_file must be given as well"));
}

void readSpool(TomlReader &reader, const toml::table &t, SpoolConfig &sp)
{
    reader.rejectUnknownKeys(t, SpoolSection, ConfigKeys::of(SpoolSection.toStdString()));
    if (auto v = reader.boolean(t, SpoolSection, "enabled"))
        sp.enabled = *v;
    if (auto v = reader.string(t, SpoolSection, "dir", true))
        sp.dir = *v;
    if (auto v = reader.integer(t, SpoolSection, "segment_mb", 1, 1024, QStringLiteral("an integer from 1 to 1024")))
        sp.segmentMb = int(*v);
    const bool segmentUsable = !t.contains("segment_mb") || sp.segmentMb > 0;
    if (auto v = reader.integer(t, SpoolSection, "max_mb", segmentUsable ? 2 * sp.segmentMb : 2, 1024 * 1024,
                                QStringLiteral("an integer from 2 × segment_mb (%1) to 1048576").arg(2 * sp.segmentMb)))
        sp.maxMb = int(*v);
    else if (!t.contains("max_mb"))
        sp.maxMb = std::max(sp.maxMb, 2 * sp.segmentMb);
    if (auto v = reader.integer(t, SpoolSection, "sync_interval_ms", 10, 60000,
                                QStringLiteral("an integer from 10 to 60000")))
        sp.syncIntervalMs = int(*v);
}

void applyEnvironment(Config &config, const QProcessEnvironment &env)
{
    // Empty values do not count: `IOT_MQTT_PASSWORD=` in a unit file should not wipe a configured secret.
    for (const ConfigKey &k : ConfigKeys::all()) {
        if (k.env.empty() || !k.field)
            continue;
        const QString value = env.value(QLatin1String(k.env.data(), qsizetype(k.env.size())));
        if (value.isEmpty())
            continue;
        k.field(config) = value;
        config.fromEnvironment << k.name();
    }
    // The observability token has no key on purpose (never in the file): only the environment or auth_token_file.
    const QString token = env.value(QStringLiteral("IOT_OBSERVABILITY_TOKEN"));
    if (!token.isEmpty())
        config.observability.authToken = token;
}

} // namespace

Result<Config> ConfigLoader::loadFile(const QString &path, const QProcessEnvironment &env)
{
    const QString prefix = path + QStringLiteral(": cannot read configuration: ");
    if (QFileInfo(path).isDir())
        return Error{prefix + QStringLiteral("is a directory")};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{prefix + file.errorString()};
    const QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error{prefix + file.errorString()};
    return loadString(data, path, env);
}

Result<Config> ConfigLoader::loadString(const QByteArray &toml, const QString &sourceName,
                                        const QProcessEnvironment &env)
{
    TomlReader reader(sourceName);
    if (!reader.parse(toml))
        return reader.error();

    Config config;
    config.sourceFile = sourceName;
    const toml::table &root = reader.root();
    reader.rejectUnknownKeys(root, QString(), ConfigKeys::sections());
    if (const toml::table *t = reader.table(root, QString(), "mqtt"))
        configsections::readMqtt(reader, *t, config.mqtt);
    if (const toml::table *t = reader.table(root, QString(), "database"))
        readDatabase(reader, *t, config.database);
    if (const toml::table *t = reader.table(root, QString(), "subscriber"))
        readSubscriber(reader, *t, config.subscriber);
    if (const toml::table *t = reader.table(root, QString(), "observability"))
        readObservability(reader, *t, config.observability);
    if (const toml::table *t = reader.table(root, QString(), "spool"))
        readSpool(reader, *t, config.spool);
    if (const toml::node *m = root.get("mappings")) {
        if (const toml::array *rules = m->as_array())
            MappingConfig::read(reader, *rules, config.mappings);
        else
            reader.failExpected(*m, QStringLiteral("mappings"), QStringLiteral("[[mappings]] tables"));
    }
    configsections::readAlerts(reader, root, config.mappings, config);
    if (const toml::table *t = root.get_as<toml::table>("database"); t && t->contains("unmatched")) {
        const auto v = reader.string(*t, Database, "unmatched", true);
        if (v && (*v == QLatin1String("raw") || *v == QLatin1String("dead_letter")))
            config.unmatchedToDeadLetter = *v == QLatin1String("dead_letter");
        else if (v)
            reader.failExpected(*t->get("unmatched"), QStringLiteral("database.unmatched"),
                                QStringLiteral("\"raw\" or \"dead_letter\""));
    }
    if (reader.failed())
        return reader.error();

    applyEnvironment(config, env);
    return config;
}

Config ConfigLoader::defaults(const QProcessEnvironment &env)
{
    Config config;
    applyEnvironment(config, env);
    return config;
}

QString ConfigLoader::toToml(const Config &config, bool maskSecrets)
{
    QString out = QStringLiteral("# Effective configuration of iot-subscriber");
    out += config.sourceFile.isEmpty() ? QStringLiteral(" (built-in defaults)")
                                       : QStringLiteral(" loaded from ") + config.sourceFile;
    out += u'\n';
    if (maskSecrets)
        out += QStringLiteral("# Secrets are masked; environment overrides (IOT_*) are applied and marked.\n");
    std::string_view section;
    for (const ConfigKey &k : ConfigKeys::all()) {
        if (!k.toml)
            continue;
        if (k.section != section) {
            section = k.section;
            out += QStringLiteral("\n[") + QLatin1String(section.data(), qsizetype(section.size())) + QStringLiteral("]\n");
        }
        out += QLatin1String(k.key.data(), qsizetype(k.key.size())) + QStringLiteral(" = ");
        const bool fromEnv = config.fromEnvironment.contains(k.name());
        if (maskSecrets && fromEnv && k.secrecy != Secrecy::None)
            out += TomlReader::quote(Secrets::fromEnvironment());
        else
            out += k.toml(config, maskSecrets);
        if (fromEnv && maskSecrets)
            out += QStringLiteral("  # from the environment: ") + QLatin1String(k.env.data(), qsizetype(k.env.size()));
        out += u'\n';
    }
    out += MappingConfig::toToml(config.mappings);
    out += configsections::alertsToml(config, maskSecrets);
    return out;
}

QString ConfigLoader::topicFilterProblem(const QString &filter)
{
    if (filter.isEmpty())
        return QStringLiteral("must not be empty");
    if (filter.contains(QChar(u'\0')))
        return QStringLiteral("must not contain a NUL character");
    if (filter.toUtf8().size() > 65535)
        return QStringLiteral("is longer than 65535 bytes");

    QString plain = filter;
    static const QString SharePrefix = QStringLiteral("$share/");
    if (filter.startsWith(SharePrefix)) {
        const QString rest = filter.mid(SharePrefix.size());
        const qsizetype slash = rest.indexOf(u'/');
        if (slash <= 0)
            return QStringLiteral("a shared subscription needs $share/<group>/<filter>");
        const QString group = rest.left(slash);
        if (group.contains(u'+') || group.contains(u'#'))
            return QStringLiteral("the share group must not contain '+' or '#'");
        plain = rest.mid(slash + 1);
        if (plain.isEmpty())
            return QStringLiteral("a shared subscription needs a filter after the group");
    }

    const QStringList levels = plain.split(u'/');
    for (qsizetype i = 0; i < levels.size(); ++i) {
        const QString &level = levels.at(i);
        if (level.contains(u'#')) {
            if (level != QStringLiteral("#"))
                return QStringLiteral("'#' must stand alone in its level");
            if (i != levels.size() - 1)
                return QStringLiteral("'#' must be the last level");
        }
        if (level.contains(u'+') && level != QStringLiteral("+"))
            return QStringLiteral("'+' must stand alone in its level");
    }
    return QString();
}

bool ConfigLoader::isSqlIdentifier(const QString &identifier)
{
    static const QRegularExpression pattern(
        QStringLiteral("^([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$"));
    return pattern.match(identifier).hasMatch();
}

} // namespace iot
