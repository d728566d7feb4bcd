// SPDX-License-Identifier: MIT
// iot-subscriber: reads the command line and the configuration (exit 2 on a problem, before any network or database
// is touched), sets up the application and logging, then hands over to the front end (app/frontend.*).
#include "commandline.h"
#include "config/configloader.h"
#include "config/secrets.h"
#include "config/logconfig.h"
#include "exitcode.h"
#include "exportcommand.h"
#include "firstrun.h"
#include "frontend.h"
#include "logging/log.h"
#include "logging/logging.h"

#include <QCoreApplication>

#include <cstdio>
#include <memory>

#ifdef IOT_WITH_GUI
#include <QApplication>
#endif

namespace {

constexpr int ExitConfig = static_cast<int>(iot::ExitCode::Config);

void printTo(std::FILE *f, const QString &text)
{
    const QByteArray b = text.toLocal8Bit();
    std::fwrite(b.constData(), 1, static_cast<std::size_t>(b.size()), f);
    if (!b.endsWith('\n'))
        std::fputc('\n', f);
}

[[maybe_unused]] bool displayAvailable()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
        || qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

/// The configuration file to use and a note for the log. Without --config: the user's config.toml, written from
/// the defaults at the first start, so that the SQLite file and the spool land in the user's data directory
/// rather than in whatever the working directory is (empty path: the built-in defaults, with the reason).
std::pair<QString, QString> configFile(const QString &given)
{
    if (!given.isEmpty())
        return {given, QString()};
    const auto firstRun = iot::FirstRun::forCurrentUser().ensureConfig();
    if (!firstRun)
        return {QString(), firstRun.error().message + QStringLiteral("; using the built-in defaults")};
    return {firstRun.value().configFile,
            firstRun.value().created ? QStringLiteral(" (created with the defaults: first start without --config)")
                                     : QString()};
}

} // namespace

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    const iot::CommandLine cl = iot::CommandLine::parse(arguments);
    if (cl.outcome == iot::CommandLine::Outcome::ExitOk) {
        printTo(stdout, cl.message);
        return 0;
    }
    if (cl.outcome == iot::CommandLine::Outcome::ExitUsage) {
        printTo(stderr, QStringLiteral("iot-subscriber: ") + cl.message);
        return ExitConfig;
    }
    if (cl.outcome == iot::CommandLine::Outcome::Export)
        return iot::ExportCommand::run(cl.exportArguments);

    // Everything is validated before any network or database is touched.
    iot::LogConfig logConfig;
    if (!cl.logConfigPath.isEmpty()) {
        auto lc = iot::LogConfig::loadFile(cl.logConfigPath);
        if (!lc) {
            printTo(stderr, QStringLiteral("error: ") + lc.error().message);
            return ExitConfig;
        }
        logConfig = lc.value();
    }
    // Names first: the per-user configuration's location (FirstRun) derives from them.
    QCoreApplication::setApplicationName(QStringLiteral("iot-subscriber"));
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IOT_VERSION));
    if (cl.monitorOnly) {
        // No engine: no configuration to read (nor to create at a first start).
#ifdef IOT_WITH_GUI
        if (!displayAvailable()) {
            printTo(stderr, QStringLiteral("iot-subscriber: --monitor-only needs a display (DISPLAY or "
                                           "WAYLAND_DISPLAY)"));
            return ExitConfig;
        }
        QApplication monitorApp(argc, argv);
        if (const iot::Status st = iot::Logging::install(logConfig); !st) {
            printTo(stderr, QStringLiteral("error: ") + st.error().message);
            return ExitConfig;
        }
        const int rc = iot::FrontEnd::runMonitorOnly();
        iot::Logging::flush();
        return rc;
#else
        printTo(stderr, QStringLiteral("iot-subscriber: --monitor-only needs the desktop build (this one is "
                                       "headless)"));
        return ExitConfig;
#endif
    }
    const auto [configPath, configNote] = configFile(cl.configPath);
    auto loaded = configPath.isEmpty() ? iot::Result<iot::Config>(iot::ConfigLoader::defaults())
                                       : iot::ConfigLoader::loadFile(configPath);
    if (!loaded) {
        printTo(stderr, QStringLiteral("error: ") + loaded.error().message);
        return ExitConfig;
    }
    const iot::Config config = loaded.value();
    if (cl.checkConfig) {
        printTo(stdout, QStringLiteral("# configuration OK: ")
                            + (config.sourceFile.isEmpty() ? QStringLiteral("built-in defaults") : config.sourceFile)
                            + QStringLiteral("\n") + iot::ConfigLoader::toToml(config, true));
        return 0;
    }

    std::unique_ptr<QCoreApplication> app;
#ifdef IOT_WITH_GUI
    const bool gui = !cl.noGui && displayAvailable();
    if (gui)
        app = std::make_unique<QApplication>(argc, argv);
#else
    const bool gui = false;
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);

    if (const iot::Status st = iot::Logging::install(logConfig); !st) {
        printTo(stderr, QStringLiteral("error: ") + st.error().message);
        return ExitConfig;
    }
    // Before anything can log a URL or a server's message that might carry one.
    iot::Logging::setSecrets(iot::Secrets::of(config));
    if (configPath.isEmpty())
        iot::log::get("app")->warn("configuration: {}", configNote);
    else
        iot::log::get("app")->info("configuration: {}{}", configPath, configNote);
    if (!cl.noGui && !gui)
        iot::log::get("app")->info("no display (or no GUI in this build): running headless");
    const int rc = iot::FrontEnd::run(config, gui);
    iot::Logging::flush();
    return rc;
}
