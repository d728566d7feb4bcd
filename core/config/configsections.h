// SPDX-License-Identifier: MIT
// The config loader's pieces shared between its files (internal to core/config): configloader.cpp reads most
// sections, mqttsection.cpp reads [mqtt] — the largest, with its topic list and TLS checks.
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

} // namespace iot::configsections
