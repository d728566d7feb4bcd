// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "util/result.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>

namespace iot {

/// Turns config.toml (the Python service's keys plus ours) into a validated Config, or one `FILE:LINE:COLUMN`
/// error line; stateless, callable from any thread (in practice main, before the engine starts).
class ConfigLoader final
{
public:
    // Parse a TOML file; environment overrides for secrets applied from `env`.
    static Result<Config> loadFile(const QString &path,
                                   const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    static Result<Config> loadString(const QByteArray &toml, const QString &sourceName,
                                     const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    // Built-in defaults plus environment overrides.
    static Config defaults(const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    // The effective config as loadable TOML (what --check-config prints); set secrets read "********" and those
    // from the environment "(from environment)" (Secrets), each environment override marked by a comment.
    static QString toToml(const Config &config, bool maskSecrets = true);

    // Why `filter` is not a valid MQTT subscription filter, or an empty string when it is.
    static QString topicFilterProblem(const QString &filter);
    // True for `name` or `schema.name`, each part ^[A-Za-z_][A-Za-z0-9_]{0,62}$ (PostgreSQL's limit).
    static bool isSqlIdentifier(const QString &identifier);

    static inline const QString MaskedSecret = QStringLiteral("********");  // = Secrets::mask()
};

} // namespace iot
