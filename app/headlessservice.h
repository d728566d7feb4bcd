// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "runoutcome.h"

#include <QObject>
#include <QTimer>

namespace iot {

class Engine;

/// The headless front end: runs the engine until SIGINT/SIGTERM or a fatal error, logs a progress line every
/// stats_log_interval_sec, and reports how the run ended (finished). Lives on the main thread.
class HeadlessService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeadlessService)
public:
    explicit HeadlessService(Engine &engine, QObject *parent = nullptr);

    void start();
    /// First call: graceful stop. A second call (operator pressed Ctrl-C again): exit at once with code 1.
    void requestStop(int signal);

Q_SIGNALS:
    /// The run is over: the engine stopped, could not start, or hit a problem no retry fixes.
    void finished(const iot::RunOutcome &outcome);

private:
    void logProgress();

    Engine &m_engine;
    QTimer m_progressTimer;
    int m_stopRequests = 0;
    EngineSnapshot m_lastProgress;   // the rates of the next line are over the time since this one
};

} // namespace iot
