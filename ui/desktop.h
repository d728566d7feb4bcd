// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>

#include <memory>

namespace iot {

class Engine;
class MainWindow;

/// The desktop front end: shows the monitor window, starts ingesting at once (no dialog in the way), and on quit
/// stops the engine gracefully before the event loop ends. Lives on the main (GUI) thread.
class Desktop final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Desktop)
public:
    explicit Desktop(Engine &engine, QObject *parent = nullptr);
    ~Desktop() override;

    void start();
    /// Graceful: stop the engine, commit, then quit with 0 (1 if anything could not be committed).
    void quit();

private:
    Engine &m_engine;
    std::unique_ptr<MainWindow> m_window;
    bool m_quitting = false;
};

} // namespace iot
