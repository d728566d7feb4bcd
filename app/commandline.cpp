// SPDX-License-Identifier: MIT
#include "commandline.h"

#include <QCommandLineParser>

namespace iot {

CommandLine CommandLine::parse(const QStringList &arguments)
{
    CommandLine cl;
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("export")) {
        cl.outcome = Outcome::Export;
        cl.exportArguments = arguments;
        cl.exportArguments.removeAt(1);
        return cl;
    }
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Subscribes to MQTT sensor data, batches it and stores it in PostgreSQL or SQLite.\n"
        "Exit codes: 0 clean stop, 1 fatal runtime error, 2 bad configuration or arguments.\n"
        "Export stored readings as CSV: iot-subscriber export --help."));
    const QCommandLineOption config({QStringLiteral("c"), QStringLiteral("config")},
                                    QStringLiteral("Configuration file (TOML). Default: the per-user config.toml, "
                                                   "created with the defaults (SQLite + local broker) at the first start."),
                                    QStringLiteral("file"));
    const QCommandLineOption logConfig(QStringLiteral("log-config"),
                                       QStringLiteral("Logging configuration file (TOML). Default: text to stderr."),
                                       QStringLiteral("file"));
    const QCommandLineOption noGui(QStringLiteral("no-gui"),
                                   QStringLiteral("Run headless (no window), e.g. as a service."));
    const QCommandLineOption check(QStringLiteral("check-config"),
                                   QStringLiteral("Validate the configuration, print the effective settings with "
                                                  "secrets masked, and exit."));
    const QCommandLineOption monitorOnly(QStringLiteral("monitor-only"),
                                         QStringLiteral("Open the window without a local engine: watch remote "
                                                        "instances only (Instances tab). Reads no configuration."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version."));
    p.addOptions({config, logConfig, noGui, check, monitorOnly, help, version});

    if (!p.parse(arguments)) {
        cl.outcome = Outcome::ExitUsage;
        cl.message = p.errorText() + QStringLiteral("\nTry --help.");
        return cl;
    }
    if (!p.positionalArguments().isEmpty()) {
        cl.outcome = Outcome::ExitUsage;
        cl.message = QStringLiteral("unexpected argument: ") + p.positionalArguments().constFirst()
            + QStringLiteral("\nTry --help.");
        return cl;
    }
    if (p.isSet(help)) {
        cl.outcome = Outcome::ExitOk;
        cl.message = p.helpText();
        return cl;
    }
    if (p.isSet(version)) {
        cl.outcome = Outcome::ExitOk;
        cl.message = QStringLiteral("iot-subscriber " IOT_VERSION "\n");
        return cl;
    }
    cl.configPath = p.value(config);
    cl.logConfigPath = p.value(logConfig);
    cl.noGui = p.isSet(noGui);
    cl.checkConfig = p.isSet(check);
    cl.monitorOnly = p.isSet(monitorOnly);
    if (cl.monitorOnly && (cl.noGui || cl.checkConfig || !cl.configPath.isEmpty())) {
        cl.outcome = Outcome::ExitUsage;
        cl.message = QStringLiteral("--monitor-only is a window without a local engine: it takes no --no-gui, "
                                    "--check-config or --config.\nTry --help.");
    }
    return cl;
}

} // namespace iot
