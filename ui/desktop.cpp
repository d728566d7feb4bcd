// SPDX-License-Identifier: MIT
#include "desktop.h"

#include "engine.h"
#include "mainwindow.h"

#include <QApplication>

namespace iot {

Desktop::Desktop(Engine &engine, QObject *parent)
    : QObject(parent), m_engine(engine), m_window(std::make_unique<MainWindow>(engine))
{
    connect(m_window.get(), &MainWindow::closeRequested, this, &Desktop::quit);
    connect(&m_engine, &Engine::stopped, this, [](quint64 unwritten) { QApplication::exit(unwritten > 0 ? 1 : 0); });
}

Desktop::~Desktop() = default;

void Desktop::start()
{
    m_window->show();
    m_engine.start();
}

void Desktop::quit()
{
    if (m_quitting)
        return;
    m_quitting = true;
    m_window->showStopping();
    if (m_engine.isRunning())
        m_engine.stop();
    else
        QApplication::exit(0);
}

} // namespace iot
