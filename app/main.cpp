// SPDX-License-Identifier: MIT
// iot-subscriber: picks the desktop or the headless front end, wires it to the engine, maps errors to exit codes.
#include "commandline.h"
#include "config/configloader.h"
#include "config/logconfig.h"
#include "engine.h"
#include "firstrun.h"
#include "headlessservice.h"
#include "logging/log.h"
#include "logging/logging.h"
#include "observability/observability.h"
#include "unixsignals.h"

#include <QCoreApplication>

#include <cstdio>
#include <memory>

#ifdef IOT_WITH_GUI
#include "desktop.h"
#include <QApplication>
#endif

namespace {

constexpr int ExitFatal = 1;
constexpr int ExitConfig = 2;

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
    // Without --config: the user's config.toml, written from the defaults at the first start, so that the SQLite
    // file and the spool land in the user's data directory rather than in whatever the working directory is.
    QString configPath = cl.configPath;
    QString configNote;
    if (configPath.isEmpty()) {
        const auto firstRun = iot::FirstRun::forCurrentUser().ensureConfig();
        if (firstRun)
            configPath = firstRun.value().configFile;
        configNote = !firstRun ? firstRun.error().message + QStringLiteral("; using the built-in defaults")
            : firstRun.value().created ? QStringLiteral(" (created with the defaults: first start without --config)")
                                       : QString();
    }
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
    if (configPath.isEmpty())
        iot::log::get("app")->warn("configuration: {}", configNote);
    else
        iot::log::get("app")->info("configuration: {}{}", configPath, configNote);
    if (!cl.noGui && !gui)
        iot::log::get("app")->info("no display (or no GUI in this build): running headless");

    iot::Engine engine(config);
    // Metrics, health checks and traces for both front ends; it must see the engine before the engine starts.
    iot::Observability observability(engine);
    if (const iot::Status st = observability.start(); !st) {
        iot::log::get("app")->critical("cannot start: {}", st.error().message);
        iot::Logging::flush();
        return ExitFatal;
    }
    // A problem no retry can fix (e.g. [[mappings]] that conflict with existing tables): report it, exit 2.
    QObject::connect(&engine, &iot::Engine::fatalError, &engine, [](const QString &message) {
        iot::log::get("app")->critical("stopping: {}", message);
        iot::Logging::flush();
        QCoreApplication::exit(ExitConfig);
    });
    iot::UnixSignals signalSource;
    int rc = ExitFatal;
#ifdef IOT_WITH_GUI
    if (gui) {
        iot::Desktop desktop(engine, &observability);
        QObject::connect(&signalSource, &iot::UnixSignals::terminationRequested, &desktop, &iot::Desktop::quit);
        desktop.start();
        rc = QCoreApplication::exec();
        iot::Logging::flush();
        return rc;
    }
#endif
    iot::HeadlessService service(engine);
    QObject::connect(&signalSource, &iot::UnixSignals::terminationRequested, &service,
                     &iot::HeadlessService::requestStop);
    service.start();
    rc = QCoreApplication::exec();
    iot::Logging::flush();
    return rc;
}
