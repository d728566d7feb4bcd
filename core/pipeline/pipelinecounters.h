// SPDX-License-Identifier: MIT
#pragma once

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
    std::atomic<std::uint64_t> received{0};        // messages taken off the MQTT socket
    std::atomic<std::uint64_t> replayed{0};        // messages read back from the spool after a restart
    std::atomic<std::uint64_t> written{0};         // rows committed to the readings table
    std::atomic<std::uint64_t> deadLettered{0};    // rows committed to the dead-letter table
    std::array<std::atomic<std::uint64_t>, Reasons::DeadLetterCount> deadLetteredBy{};  // by Reasons::DeadLetter
    std::array<std::atomic<std::uint64_t>, Reasons::DropCount> droppedBy{};             // by Reasons::Drop
    std::atomic<std::uint64_t> deduplicated{0};    // mapped rows skipped because their unique key was stored
    std::atomic<std::uint64_t> dropped{0};         // messages given up on, by reason in droppedBy (see drop())
    std::atomic<std::uint64_t> transactions{0};    // committed write transactions
    std::atomic<std::uint64_t> writeFailures{0};   // transactions that failed and were retried or split
    std::atomic<std::uint64_t> mqttReconnects{0};
    std::atomic<std::uint64_t> dbReconnects{0};
    std::atomic<std::uint64_t> readPauses{0};      // times reading stopped because the buffer or spool was full
    std::atomic<bool> readingPaused{false};
    std::atomic<std::uint64_t> spoolDamagedBytes{0};  // skipped at start-up or replay: checksum/framing damage
    std::atomic<std::uint64_t> spoolWriteErrors{0};   // appends the disk refused (message kept in memory only)
    std::atomic<std::uint64_t> spoolSyncErrors{0};    // failed fdatasync calls
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
};

} // namespace iot
