// SPDX-License-Identifier: MIT
#pragma once

#include "simulation.h"
#include "testenv.h"

#include <thread>

namespace iot::test {

/// QoS 1 simulated sensors with sequence numbers towards the test broker (or `port`), for the tests to publish.
SimOptions simulation(const Servers &servers, const QString &topicPrefix, quint64 count, double rate, int port = 0,
                      int sensors = 10);

/// Runs a simulation on its own thread, so a test can break things (stop servers, kill the subscriber) meanwhile.
class BackgroundPublisher final
{
public:
    explicit BackgroundPublisher(SimOptions options);
    ~BackgroundPublisher();
    Q_DISABLE_COPY_MOVE(BackgroundPublisher)

    /// Waits for the run to end and returns its statistics.
    SimStats join();

private:
    SimStats m_stats;
    std::thread m_thread;
};

} // namespace iot::test
