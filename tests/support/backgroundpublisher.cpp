// SPDX-License-Identifier: MIT
#include "backgroundpublisher.h"

namespace iot::test {

SimOptions simulation(const Servers &srv, const QString &prefix, quint64 count, double rate, int port, int sensors)
{
    SimOptions sim;
    sim.publish.host = srv.mqttHost;
    sim.publish.port = port ? port : srv.mqttPort;
    sim.publish.qos = 1;
    sim.payload.topicPrefix = prefix.toUtf8();
    sim.payload.sensors = sensors;
    sim.count = count;
    sim.rate = rate;
    sim.quiet = true;
    sim.drainTimeoutMs = 60000;
    return sim;
}

BackgroundPublisher::BackgroundPublisher(SimOptions options)
    : m_thread([this, options] { m_stats = runSimulation(options); })
{
}

BackgroundPublisher::~BackgroundPublisher()
{
    if (m_thread.joinable())
        m_thread.join();
}

SimStats BackgroundPublisher::join()
{
    m_thread.join();
    return m_stats;
}

} // namespace iot::test
