// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QString>

#include <toml++/toml.h>

namespace iot {

class TomlReader;

/// Reads and writes the [[mappings]] rules of config.toml (part of ConfigLoader; private to iot_config).
namespace MappingConfig {

/// Reads `[[mappings]]` with their `[[mappings.columns]]`; problems are recorded in `reader`.
void read(TomlReader &reader, const toml::array &rules, QList<MappingRule> &out);
/// The rules as TOML, for --check-config.
QString toToml(const QList<MappingRule> &rules);

QString typeName(ColumnMapping::Type type);
QString sourceText(const ColumnMapping &column);
QString timeEncodingName(ColumnMapping::TimeEncoding encoding);

} // namespace MappingConfig
} // namespace iot
