// SPDX-License-Identifier: MIT
#pragma once

#include "enginehost.h"
#include "runoutcome.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace iot {

class Engine;
class MainWindow;
class Observability;

/// The desktop front end: shows the monitor window and starts ingesting at once (no dialog in the way, so an
/// unattended machine resumes by itself after a reboot); on quit stops the engine gracefully before the event loop
/// ends. Lives on the main (GUI) thread.
class Desktop final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Desktop)
public:
    /// `factory` builds the engines of restarts after a settings change (default: a plain Engine); `observability`
    /// (not owned, may be null) is moved on to each of them, so /metrics keeps counting across restarts.
    explicit Desktop(Engine &engine, Observability *observability = nullptr, EngineHost::Factory factory = {},
                     QObject *parent = nullptr);
    /// A monitor only (--monitor-only): the window without a local engine, watching remote instances.
    explicit Desktop(QObject *parent = nullptr);
    ~Desktop() override;

    void start();
    /// Graceful: stop the engine, commit, then emit finished(). A fatal engine error does not end the run: the
    /// window shows it and stays, the operator fixes the settings and applies (a restart clears it) or quits.
    void quit();

Q_SIGNALS:
    /// After quit(): Fatal if the last engine stopped on a fatal error that no settings change has cleared.
    void finished(const iot::RunOutcome &outcome);

public:

    EngineHost &host() const { return *m_host; }
    bool hasEngine() const { return m_host != nullptr; }
    MainWindow &window() const { return *m_window; }

private:
    void logProgress();

    void setUpApplication();

    std::unique_ptr<EngineHost> m_host;   // null: monitor only
    QTimer m_progressTimer;
    std::unique_ptr<MainWindow> m_window;
    bool m_quitting = false;
    EngineSnapshot m_lastProgress;   // the rates of the next progress line are over the time since this one
    bool m_fatal = false;   // the current engine reported a problem no retry fixes
};

} // namespace iot
