// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QString>

namespace iot {

/// The per-user configuration used when no --config is given: finds it, or on first start writes a commented copy
/// of the defaults whose SQLite file and spool live in the user's data directory. Main thread, before the event loop.
class FirstRun final
{
public:
    struct Outcome
    {
        QString configFile;      // absolute path of the config.toml to load
        bool created = false;    // written just now from the defaults
    };

    /// QStandardPaths' AppConfigLocation and AppDataLocation; the application and organisation names must be set.
    static FirstRun forCurrentUser();
    FirstRun(QString configDir, QString dataDir);

    QString configFile() const;
    QString databaseFile() const;
    QString spoolDir() const;

    /// The config file, written from defaultConfigText() (and the data directory created) when it does not exist.
    Result<Outcome> ensureConfig() const;
    /// config/config.toml (embedded) with a first-run header and the SQLite path and spool dir made absolute.
    QByteArray defaultConfigText() const;

private:
    QString m_configDir;
    QString m_dataDir;
};

} // namespace iot
