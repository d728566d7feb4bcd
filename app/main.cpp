// SPDX-License-Identifier: MIT
// iot-subscriber: picks the desktop or the headless front end, wires it to the engine, maps errors to exit codes.
#include "commandline.h"
#include "configloader.h"
#include "engine.h"
#include "headlessservice.h"
#include "log.h"
#include "logconfig.h"
#include "logging.h"
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

bool displayAvailable()
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
    auto loaded = cl.configPath.isEmpty() ? iot::Result<iot::Config>(iot::ConfigLoader::defaults())
                                          : iot::ConfigLoader::loadFile(cl.configPath);
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
    QCoreApplication::setApplicationName(QStringLiteral("iot-subscriber"));
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IOT_VERSION));

    if (const iot::Status st = iot::Logging::install(logConfig); !st) {
        printTo(stderr, QStringLiteral("error: ") + st.error().message);
        return ExitConfig;
    }
    if (!cl.noGui && !gui)
        iot::log::get("app")->info("no display (or no GUI in this build): running headless");

    iot::Engine engine(config);
    iot::UnixSignals signalSource;
    int rc = ExitFatal;
#ifdef IOT_WITH_GUI
    if (gui) {
        iot::Desktop desktop(engine);
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
