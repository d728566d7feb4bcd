// SPDX-License-Identifier: MIT
// The config loader's pieces shared between its files (internal to core/config): configloader.cpp reads most
// sections, mqttsection.cpp reads [mqtt] — the largest, with its topic list and TLS checks — and
// alertsection.cpp reads [[alerts]] and [alerting].
#pragma once

#include "config/config.h"
#include "config/tomlreader.h"

#include <limits>

namespace iot::configsections {

inline constexpr qint64 IntMax = std::numeric_limits<int>::max();

inline QString portRange(int min)
{
    return QStringLiteral("an integer from %1 to 65535").arg(min);
}

/// [mqtt]: broker, client, topics with their QoS, protocol and TLS; errors go to `reader`.
void readMqtt(TomlReader &reader, const toml::table &t, MqttConfig &mqtt);

/// [[alerts]] and [alerting] (alertsection.cpp); `mappings` must be read already (a field may name a column).
void readAlerts(TomlReader &reader, const toml::table &root, const QList<MappingRule> &mappings, Config &config);
/// [alerting] and the [[alerts]] as TOML, for --check-config (empty without rules and with default [alerting]);
/// credentials in alertmanager_url masked when `maskSecrets`.
QString alertsToml(const Config &config, bool maskSecrets);

} // namespace iot::configsections
