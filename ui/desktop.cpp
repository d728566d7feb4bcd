// SPDX-License-Identifier: MIT
#include "desktop.h"

#include "icons.h"
#include "logging/log.h"
#include "mainwindow.h"
#include "observability/observability.h"

#include <QApplication>

namespace iot {

Desktop::Desktop(Engine &engine, Observability *observability, EngineHost::Factory factory, QObject *parent)
    : QObject(parent), m_host(std::make_unique<EngineHost>(engine, std::move(factory)))
{
    if (observability) {
        EngineHost *host = m_host.get();
        connect(host, &EngineHost::engineCreated, observability, [observability, host](Engine *e) {
            observability->follow(*e, [host] { return host->snapshot(); });
        });
    }
    // The same progress line as headless, for the log file and for support.
    const double interval = engine.config().subscriber.statsLogIntervalSec;
    m_progressTimer.setInterval(static_cast<int>(interval * 1000.0));
    connect(&m_progressTimer, &QTimer::timeout, this, &Desktop::logProgress);
    if (interval > 0)
        m_progressTimer.start();
    setUpApplication();
    m_window = std::make_unique<MainWindow>(*m_host);
    connect(m_window.get(), &MainWindow::closeRequested, this, &Desktop::quit);
    connect(m_host.get(), &EngineHost::finished, this, [this](quint64 unwritten) {
        Q_EMIT finished({m_fatal ? RunOutcome::Ending::Fatal : RunOutcome::Ending::Stopped, unwritten});
    });
    connect(m_host.get(), &EngineHost::fatalError, this, [this] { m_fatal = true; });
    // New settings applied: the engine that failed is gone.
    connect(m_host.get(), &EngineHost::restarted, this, [this] { m_fatal = false; });
    // Turned on again by the operator: a new engine, the one that failed is gone as well.
    connect(m_host.get(), &EngineHost::stateChanged, this, [this](EngineHost::State state) {
        if (state == EngineHost::State::On)
            m_fatal = false;
    });
}

Desktop::Desktop(QObject *parent) : QObject(parent)
{
    setUpApplication();
    m_window = std::make_unique<MainWindow>(nullptr);
    connect(m_window.get(), &MainWindow::closeRequested, this, &Desktop::quit);
    log::get("app")->info("monitor only: no local engine; watching the instances of the Instances tab");
}

void Desktop::setUpApplication()
{
    // The window may live in the tray: closing it is not quitting.
    QApplication::setQuitOnLastWindowClosed(false);
    QApplication::setWindowIcon(Icons::app());
    QGuiApplication::setDesktopFileName(QStringLiteral("iot-subscriber"));
}

Desktop::~Desktop() = default;

void Desktop::start()
{
    m_window->show();
    // A failure (say, the spool directory is locked) is shown in the window and the log; the operator can fix the
    // settings from there.
    if (m_host)
        (void)m_host->start();
}

void Desktop::logProgress()
{
    const EngineSnapshot s = m_host->snapshot();
    log::get("app")->info("{}", s.progressText(m_lastProgress));
    m_lastProgress = s;
}

void Desktop::quit()
{
    if (m_quitting)
        return;
    m_quitting = true;
    m_window->showStopping();
    if (m_host) {
        m_host->stop();
        return;
    }
    // Nothing to commit: done once the event loop is back.
    QTimer::singleShot(0, this, [this] { Q_EMIT finished({RunOutcome::Ending::Stopped, 0}); });
}

} // namespace iot
