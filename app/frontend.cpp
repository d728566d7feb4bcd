// SPDX-License-Identifier: MIT
#include "frontend.h"

#include "engine.h"
#include "exitcode.h"
#include "headlessservice.h"
#include "logging/log.h"
#include "logging/logging.h"
#include "observability/observability.h"
#include "unixsignals.h"

#include <QCoreApplication>

#ifdef IOT_WITH_GUI
#include "desktop.h"
#endif

namespace iot::FrontEnd {

int run(const Config &config, bool desktop)
{
    Engine engine(config);
    // Metrics, health checks and traces for both front ends; it must see the engine before the engine starts.
    Observability observability(engine);
    if (const Status st = observability.start(); !st) {
        log::get("app")->critical("cannot start: {}", st.error().message);
        Logging::flush();
        return static_cast<int>(exitCodeFor({RunOutcome::Ending::StartFailed}));
    }
    UnixSignals signalSource;
    // Both front ends end the same way: with how the run ended, which exitCodeFor() turns into the exit code.
    const auto finish = [](const RunOutcome &outcome) {
        Logging::flush();
        QCoreApplication::exit(static_cast<int>(exitCodeFor(outcome)));
    };
#ifdef IOT_WITH_GUI
    if (desktop) {
        // A fatal error keeps the window open with the reason (the operator fixes the settings and applies); the
        // desktop reports it at quit.
        Desktop window(engine, &observability);
        QObject::connect(&signalSource, &UnixSignals::terminationRequested, &window, &Desktop::quit);
        QObject::connect(&window, &Desktop::finished, &window, finish);
        window.start();
        return QCoreApplication::exec();
    }
#else
    Q_UNUSED(desktop)
#endif
    HeadlessService service(engine);
    QObject::connect(&signalSource, &UnixSignals::terminationRequested, &service, &HeadlessService::requestStop);
    QObject::connect(&service, &HeadlessService::finished, &service, finish);
    service.start();
    return QCoreApplication::exec();
}

int runMonitorOnly()
{
#ifdef IOT_WITH_GUI
    UnixSignals signalSource;
    Desktop window;
    QObject::connect(&signalSource, &UnixSignals::terminationRequested, &window, &Desktop::quit);
    QObject::connect(&window, &Desktop::finished, &window, [](const RunOutcome &outcome) {
        Logging::flush();
        QCoreApplication::exit(static_cast<int>(exitCodeFor(outcome)));
    });
    window.start();
    return QCoreApplication::exec();
#else
    return static_cast<int>(ExitCode::Config);
#endif
}

} // namespace iot::FrontEnd
