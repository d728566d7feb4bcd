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
    // Pacing follows an absolute schedule (message n is due at base + n / rate) so that sleep overshoot does not
    // accumulate into a lower average rate.
    auto scheduleBase = start;
    quint64 scheduled = 0;
    const auto progressEvery = std::chrono::duration_cast<Clock::duration>(Seconds(options.progressSec));
    auto nextProgress = start + progressEvery;
    quint64 deliveredAtLastProgress = 0;
    auto lastProgress = start;
    bool wasConnected = true;
    quint64 takenOn = 0;   // what publisher.published() should read, without taking its lock per message

    for (quint64 k = 0; options.count == 0 || k < options.count; ++k) {
        if (raised(stop)) {
            stats.stopped = true;
            break;
        }
        const bool housekeeping = paced || k % kHousekeepingEvery == 0;
        auto now = Clock::now();
        if (paced) {
            auto due = scheduleBase + std::chrono::duration_cast<Clock::duration>(Seconds(double(scheduled) / options.rate));
            if (now - due > kMaxLag) {
                scheduleBase = now;
                scheduled = 0;
                due = now;
            }
            while (now < due && !raised(stop)) {
                std::this_thread::sleep_until(std::min(due, now + kStopPoll));
                now = Clock::now();
            }
            if (raised(stop)) {
                stats.stopped = true;
                break;
            }
            ++scheduled;
        }

        if (housekeeping) {
            const bool connected = publisher.isConnected();
            if (connected != wasConnected) {
                note(options, connected ? QStringLiteral("reconnected")
                                        : QStringLiteral("%1 (reconnecting)").arg(publisher.lastError()));
                wasConnected = connected;
            }
            if (options.progressSec > 0 && now >= nextProgress) {
                const quint64 delivered = publisher.acknowledged();
                const double interval = Seconds(now - lastProgress).count();
                std::fprintf(stderr, "progress: published=%llu delivered=%llu pending=%llu lost=%llu rate=%.0f msgs/s\n",
                             static_cast<unsigned long long>(publisher.published()),
                             static_cast<unsigned long long>(delivered),
                             static_cast<unsigned long long>(publisher.pending()),
                             static_cast<unsigned long long>(publisher.lost()),
                             interval > 0 ? double(delivered - deliveredAtLastProgress) / interval : 0.0);
                deliveredAtLastProgress = delivered;
                lastProgress = now;
                nextProgress = now + progressEvery;
            }
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
            // A QoS 0 message that met a dropped connection is counted as lost; carry on, the link comes back.
            // Anything else (bad topic, oversized payload, out of memory) would fail for every message.
            const quint64 counted = publisher.published();
            if (counted == takenOn) {
                stats.error = publisher.lastError();
                break;
            }
            takenOn = counted;
            // Paced, we keep dropping readings like a real QoS 0 device would; unpaced, we would otherwise burn
            // through the whole count in a busy loop, so wait for the link instead.
            if (!paced) {
                if (wasConnected) {
                    note(options, QStringLiteral("connection lost, waiting for the reconnect (QoS 0 messages in flight are lost)"));
                    wasConnected = false;
                }
                while (!raised(stop) && !publisher.waitConnected(int(kStopPoll.count()))) {
                }
            }
        }
        if (invalid)
            ++stats.invalid;
    }

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
    return stats;
}

} // namespace iot
