// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QStringList>

namespace iot {

/// The parsed command line: the Python service's flags (--config, --log-config) plus ours.
struct CommandLine
{
    QString configPath;      // empty: the per-user config (FirstRun)
    QString logConfigPath;   // empty: text logs to stderr at info
    bool noGui = false;
    bool checkConfig = false;
    bool monitorOnly = false;   // the window without a local engine (no config read, nothing ingested)

    // Export: `iot-subscriber export ...`, a command with its own options (app/exportcommand.*).
    enum class Outcome { Run, ExitOk, ExitUsage, Export };
    Outcome outcome = Outcome::Run;
    QString message;         // --help / --version text, or the usage error
    QStringList exportArguments;  // Export: the program name, then what follows the word `export`

    /// Parses `arguments` (argv as strings, program name first). Works before any Q*Application exists.
    static CommandLine parse(const QStringList &arguments);
};

} // namespace iot
