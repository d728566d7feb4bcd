// SPDX-License-Identifier: MIT
#pragma once

#include "publisher.h"
#include "sensorpayload.h"

#include <QString>
#include <QtGlobal>

#include <atomic>

namespace iot {

/// What one simulator run publishes: message k (0-based) carries seq = seqStart + k and comes from sensor
/// k % sensors, so a checker can look for gaps and duplicates in the seq numbers.
struct SimOptions
{
    PublishOptions publish;
    PayloadOptions payload;
    quint64 count = 0;           // 0: until stopped
    double rate = 0;             // messages per second over all sensors; 0: as fast as possible
    quint64 seqStart = 1;
    quint64 invalidEvery = 0;    // every Nth message (the Nth, 2Nth, ...) is a truncated payload; 0: never
    double progressSec = 0;      // a progress line on stderr this often; 0: never
    bool quiet = false;          // no connection notices on stderr (errors still go there)
    int connectTimeoutMs = 10000;
    int drainTimeoutMs = 10000;  // after the last message (or a stop), how long to wait for acknowledgements
};

/// Outcome of runSimulation(); error is non-empty when the run could not start or had to abort.
struct SimStats
{
    quint64 published = 0;       // messages generated and handed to the publisher
    quint64 delivered = 0;       // acknowledged (QoS>=1) or written to the socket (QoS 0)
    quint64 lost = 0;            // QoS 0 dropped during a disconnect, or refused by the broker
    quint64 invalid = 0;         // of published, how many were deliberately truncated payloads
    quint64 reconnects = 0;
    double seconds = 0;          // from the first publish until delivery finished (or the drain gave up)
    double rate = 0;             // delivered / seconds
    bool stopped = false;        // ended by the stop flag rather than by count
    QString error;

    bool allDelivered() const { return error.isEmpty() && delivered == published; }
};

// Connects, publishes as SimOptions says, waits for delivery and disconnects; blocks the calling thread.
// Raising *stop (safe from a signal handler) ends the run early, still waiting up to drainTimeoutMs for delivery.
SimStats runSimulation(const SimOptions &options, const std::atomic_bool *stop = nullptr);

} // namespace iot
