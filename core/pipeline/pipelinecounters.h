// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/countertable.h"
#include "pipeline/reasons.h"
#include "spool/spoolstate.h"

#include <array>
#include <atomic>
#include <cstdint>

namespace iot {

/// What the ingest and writer threads count, read by the main thread for snapshots: monotonic counters plus a few
/// latest values (reading paused, last commit, heartbeats). One thread writes a field at a time: the main thread
/// writes mqttReconnects, and otherwise only before the workers start (spool damage found at start-up) or after the
/// writer has finished (drops at a shutdown that timed out). Relaxed atomics: readers only need eventual values.
struct PipelineCounters
{
    // received, written, deadLettered, dropped, ...: what each counts is said in core/pipeline/countertable.h.
#define IOT_COUNTER_ATOMIC(member, ...) std::atomic<std::uint64_t> member{0};
    IOT_COUNTERS(IOT_COUNTER_ATOMIC)
#undef IOT_COUNTER_ATOMIC
    std::array<std::atomic<std::uint64_t>, Reasons::DeadLetterCount> deadLetteredBy{};  // by Reasons::DeadLetter
    std::array<std::atomic<std::uint64_t>, Reasons::DropCount> droppedBy{};             // by Reasons::Drop (drop())
    std::atomic<bool> readingPaused{false};
    // Writer thread: Batch::memoryBytes() of the transaction it holds (taken off the queue, not yet committed), so
    // the ingest side counts it against max_buffered_mb together with the queue.
    std::atomic<std::uint64_t> writerHeldBytes{0};
    std::atomic<SpoolState> spoolState{SpoolState::Ok};  // ingest thread: whether the spool takes records
    std::atomic<std::int64_t> lastCommitUs{0};     // wall time of the last commit, µs since epoch
    std::atomic<std::int64_t> lastCommitLatencyUs{0};  // receive of the oldest row → its commit, last transaction
    // Wall time at which each worker thread's event loop last turned (a 1 s timer): /healthz and stall detection.
    std::atomic<std::int64_t> ingestHeartbeatUs{0};
    std::atomic<std::int64_t> writerHeartbeatUs{0};

    /// Received (or replayed) but not yet committed, dead-lettered or dropped: the in-flight balance.
    std::uint64_t inFlight() const
    {
        const auto r = received.load(std::memory_order_relaxed) + replayed.load(std::memory_order_relaxed);
        const auto done = written.load(std::memory_order_relaxed) + deadLettered.load(std::memory_order_relaxed)
            + deduplicated.load(std::memory_order_relaxed)
            + dropped.load(std::memory_order_relaxed);
        return r > done ? r - done : 0;
    }

    void drop(Reasons::Drop why, std::uint64_t n)
    {
        dropped.fetch_add(n, std::memory_order_relaxed);
        droppedBy[std::size_t(why)].fetch_add(n, std::memory_order_relaxed);
    }

    const std::atomic<std::uint64_t> &operator[](Counter c) const;
};

/// PipelineCounters' member for each row of CounterTable.
inline constexpr std::array<std::atomic<std::uint64_t> PipelineCounters::*, CounterCount> PipelineCounterMembers{
#define IOT_COUNTER_MEMBER(member, ...) &PipelineCounters::member,
    IOT_COUNTERS(IOT_COUNTER_MEMBER)
#undef IOT_COUNTER_MEMBER
};

inline const std::atomic<std::uint64_t> &PipelineCounters::operator[](Counter c) const
{
    return this->*PipelineCounterMembers[std::size_t(c)];
}

} // namespace iot
