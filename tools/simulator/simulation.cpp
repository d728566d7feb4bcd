// SPDX-License-Identifier: MIT
#include "simulation.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace iot {

namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

// Longest sleep between looks at the stop flag, and how far behind schedule we may fall before giving up on
// catching up (after the broker was away, a burst of the missed messages would distort the demo stream).
constexpr auto kStopPoll = std::chrono::milliseconds(50);
constexpr auto kMaxLag = std::chrono::seconds(1);
// Unpaced runs look at the connection and the progress timer only every so many messages: both take a lock.
constexpr quint64 kHousekeepingEvery = 64;

qint64 epochMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool raised(const std::atomic_bool *flag)
{
    return flag && flag->load(std::memory_order_relaxed);
}

void note(const SimOptions &options, const QString &text)
{
    if (!options.quiet)
        std::fprintf(stderr, "iot-simulate: %s\n", text.toLocal8Bit().constData());
}

// Paces messages on an absolute schedule (message n is due at base + n / rate) so that sleep overshoot does not
// accumulate into a lower average rate; more than kMaxLag behind, it starts a new schedule rather than burst.
class Pacer
{
public:
    Pacer(double rate, Clock::time_point start) : m_rate(rate), m_base(start) {}

    /// Sleeps until the next message is due, updating `now`; false when `stop` was raised meanwhile.
    bool waitTurn(const std::atomic_bool *stop, Clock::time_point &now)
    {
        auto due = m_base + std::chrono::duration_cast<Clock::duration>(Seconds(double(m_scheduled) / m_rate));
        if (now - due > kMaxLag) {
            m_base = now;
            m_scheduled = 0;
            due = now;
        }
        while (now < due && !raised(stop)) {
            std::this_thread::sleep_until(std::min(due, now + kStopPoll));
            now = Clock::now();
        }
        if (raised(stop))
            return false;
        ++m_scheduled;
        return true;
    }

private:
    double m_rate;
    Clock::time_point m_base;
    quint64 m_scheduled = 0;
};

// The "progress:" line on stderr every progressSec, with the delivery rate over the interval since the last one.
class ProgressLine
{
public:
    ProgressLine(double everySec, Clock::time_point start)
        : m_every(std::chrono::duration_cast<Clock::duration>(Seconds(everySec))), m_on(everySec > 0),
          m_next(start + m_every), m_last(start)
    {
    }

    void maybePrint(Publisher &publisher, Clock::time_point now)
    {
        if (!m_on || now < m_next)
            return;
        const quint64 delivered = publisher.acknowledged();
        const double interval = Seconds(now - m_last).count();
        std::fprintf(stderr, "progress: published=%llu delivered=%llu pending=%llu lost=%llu rate=%.0f msgs/s\n",
                     static_cast<unsigned long long>(publisher.published()),
                     static_cast<unsigned long long>(delivered),
                     static_cast<unsigned long long>(publisher.pending()),
                     static_cast<unsigned long long>(publisher.lost()),
                     interval > 0 ? double(delivered - m_deliveredAtLast) / interval : 0.0);
        m_deliveredAtLast = delivered;
        m_last = now;
        m_next = now + m_every;
    }

private:
    Clock::duration m_every;
    bool m_on;
    Clock::time_point m_next;
    Clock::time_point m_last;
    quint64 m_deliveredAtLast = 0;
};

// After a publish the client refused. A QoS 0 message that met a dropped connection is counted as lost: carry on,
// the link comes back (unpaced, wait for it rather than burn through the count in a busy loop; paced, keep dropping
// readings like a real QoS 0 device would). Anything else (bad topic, oversized payload, out of memory) would fail
// for every message: false, with stats.error set.
bool carryOnAfterRefusal(const SimOptions &options, Publisher &publisher, const std::atomic_bool *stop,
                         quint64 &takenOn, bool &wasConnected, SimStats &stats)
{
    const quint64 counted = publisher.published();
    if (counted == takenOn) {
        stats.error = publisher.lastError();
        return false;
    }
    takenOn = counted;
    if (options.rate > 0)
        return true;
    if (wasConnected) {
        note(options, QStringLiteral("connection lost, waiting for the reconnect (QoS 0 messages in flight are lost)"));
        wasConnected = false;
    }
    while (!raised(stop) && !publisher.waitConnected(int(kStopPoll.count()))) {
    }
    return true;
}

// Drains what is unacknowledged (up to drainTimeoutMs), fills in the counts and the rate, and disconnects.
void finish(const SimOptions &options, Publisher &publisher, Clock::time_point start, SimStats &stats)
{
    if (!publisher.waitAllDelivered(options.drainTimeoutMs)) {
        std::fprintf(stderr, "iot-simulate: %llu messages still unacknowledged after %d ms\n",
                     static_cast<unsigned long long>(publisher.pending()), options.drainTimeoutMs);
    }
    const auto end = Clock::now();
    stats.published = publisher.published();
    stats.delivered = publisher.acknowledged();
    stats.lost = publisher.lost();
    stats.reconnects = publisher.reconnects();
    stats.seconds = Seconds(end - start).count();
    stats.rate = stats.seconds > 0 ? double(stats.delivered) / stats.seconds : 0.0;
    publisher.disconnect();
}

} // namespace

SimStats runSimulation(const SimOptions &options, const std::atomic_bool *stop)
{
    SimStats stats;
    Publisher publisher(options.publish);
    publisher.setCancelFlag(stop);
    if (!publisher.connect(options.connectTimeoutMs)) {
        stats.error = publisher.lastError();
        return stats;
    }
    note(options, QStringLiteral("connected to %1:%2 as %3")
                      .arg(options.publish.host).arg(options.publish.port).arg(publisher.clientId()));

    SensorPayload payload(options.payload);
    const auto sensors = quint64(payload.options().sensors);
    const int qos = options.publish.qos;
    const bool paced = options.rate > 0;

    const auto start = Clock::now();
    Pacer pacer(options.rate, start);
    ProgressLine progress(options.progressSec, start);
    bool wasConnected = true;
    quint64 takenOn = 0;   // what publisher.published() should read, without taking its lock per message

    for (quint64 k = 0; options.count == 0 || k < options.count; ++k) {
        if (raised(stop)) {
            stats.stopped = true;
            break;
        }
        const bool housekeeping = paced || k % kHousekeepingEvery == 0;
        auto now = Clock::now();
        if (paced && !pacer.waitTurn(stop, now)) {
            stats.stopped = true;
            break;
        }

        if (housekeeping) {
            const bool connected = publisher.isConnected();
            if (connected != wasConnected) {
                note(options, connected ? QStringLiteral("reconnected")
                                        : QStringLiteral("%1 (reconnecting)").arg(publisher.lastError()));
                wasConnected = connected;
            }
            progress.maybePrint(publisher, now);
        }

        const quint64 seq = options.seqStart + k;
        const int sensor = int(k % sensors);
        const bool invalid = options.invalidEvery > 0 && (k + 1) % options.invalidEvery == 0;
        if (invalid)
            payload.buildInvalid(seq, sensor);
        else
            payload.build(seq, sensor, epochMs());

        if (publisher.publish(payload.topic(), payload.payload(), qos)) {
            ++takenOn;
        } else {
            if (raised(stop)) {
                stats.stopped = true;
                break;
            }
            if (!carryOnAfterRefusal(options, publisher, stop, takenOn, wasConnected, stats))
                break;
        }
        if (invalid)
            ++stats.invalid;
    }

    finish(options, publisher, start, stats);
    return stats;
}

} // namespace iot
