// SPDX-License-Identifier: MIT
#pragma once

#include "export/exportrequest.h"

#include <QString>
#include <QStringList>

namespace iot {

/// `iot-subscriber export ...`: its own command line (parsed here), the config loaded as for a run (file:line:column
/// errors, exit 2), then one Exporter run onto stdout or --output. Returns the process's exit code.
namespace ExportCommand {

struct Arguments
{
    QString configPath;
    QString outputPath;     // empty: stdout
    ExportRequest request;
};

/// The command line after the word `export` (program name first). `usage` is set on a bad argument (exit 2),
/// `help` to the --help text.
struct Parsed
{
    Arguments arguments;
    QString usage;
    QString help;
};
Parsed parse(const QStringList &arguments);

int run(const QStringList &arguments);

} // namespace ExportCommand
} // namespace iot
