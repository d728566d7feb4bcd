// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QObject>
#include <QTimer>

namespace iot {

class Engine;

/// The headless front end: runs the engine until SIGINT/SIGTERM, logs a progress line every
/// stats_log_interval_sec, and ends the event loop with the exit code. Lives on the main thread.
class HeadlessService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeadlessService)
public:
    explicit HeadlessService(Engine &engine, QObject *parent = nullptr);

    void start();
    /// First call: graceful stop. A second call (operator pressed Ctrl-C again): exit at once with code 1.
    void requestStop(int signal);

private:
    void logProgress();

    Engine &m_engine;
    QTimer m_progressTimer;
    int m_stopRequests = 0;
};

} // namespace iot
