// SPDX-License-Identifier: MIT
#include "desktop.h"

#include "icons.h"
#include "mainwindow.h"

#include <QApplication>

namespace iot {

Desktop::Desktop(Engine &engine, EngineHost::Factory factory, QObject *parent)
    : QObject(parent), m_host(std::make_unique<EngineHost>(engine, std::move(factory)))
{
    // The window may live in the tray: closing it is not quitting.
    QApplication::setQuitOnLastWindowClosed(false);
    QApplication::setWindowIcon(Icons::app());
    QGuiApplication::setDesktopFileName(QStringLiteral("iot-subscriber"));
    m_window = std::make_unique<MainWindow>(*m_host);
    connect(m_window.get(), &MainWindow::closeRequested, this, &Desktop::quit);
    connect(m_host.get(), &EngineHost::finished, this,
            [this](quint64 unwritten) { QApplication::exit(m_fatal ? 2 : unwritten > 0 ? 1 : 0); });
    connect(m_host.get(), &EngineHost::fatalError, this, [this] { m_fatal = true; });
}

Desktop::~Desktop() = default;

void Desktop::start()
{
    m_window->show();
    // A failure (say, the spool directory is locked) is shown in the window and the log; the operator can fix the
    // settings from there.
    (void)m_host->start();
}

void Desktop::quit()
{
    if (m_quitting)
        return;
    m_quitting = true;
    m_window->showStopping();
    m_host->stop();
}

} // namespace iot
