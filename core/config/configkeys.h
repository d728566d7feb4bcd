// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QString>

#include <span>
#include <string_view>
#include <vector>

namespace iot {

/// Whether a key's value must be hidden wherever it could surface (Secrets masks it; nothing else decides).
enum class Secrecy {
    None,
    Value,   // the whole value: mqtt.password, database.password
    Url,     // a URL whose userinfo password and token-like query values are secret: observability.trace_endpoint
};

/// One key of config.toml's fixed sections ([mqtt] … [spool]; [[mappings]] are MappingConfig's).
struct ConfigKey
{
    std::string_view section;   // "mqtt"
    std::string_view key;       // "host"
    /// The effective value as TOML text, secrets masked when asked (Secrets); nullptr: read only, written through
    /// another key (mqtt.topic and mqtt.qos come back as mqtt.topics).
    QString (*toml)(const Config &config, bool maskSecrets) = nullptr;
    Secrecy secrecy = Secrecy::None;
    /// The environment variable that overrides the key when set and not empty ("IOT_MQTT_PASSWORD"), or empty.
    std::string_view env{};
    /// The string value of secret and environment-overridable keys (for masking and the override), else nullptr.
    const QString &(*text)(const Config &config) = nullptr;
    QString &(*field)(Config &config) = nullptr;

    QString name() const;       // "mqtt.password"
};

/// The config keys, listed once, in the order config/config.toml documents them: the loader takes the keys it knows
/// from here, ConfigLoader::toToml (--check-config) writes them from here, and tst_configkeys checks
/// config/config.toml against it. Pure data, any thread.
namespace ConfigKeys {

std::span<const ConfigKey> all();
/// The fixed sections in order, then "mappings": the top-level keys config.toml may have.
std::span<const std::string_view> sections();
/// The keys of one section, in order.
std::vector<std::string_view> of(std::string_view section);
/// The key `section`.`key`, or nullptr.
const ConfigKey *find(std::string_view section, std::string_view key);


} // namespace ConfigKeys
} // namespace iot
