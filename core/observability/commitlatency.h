// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/pipelineobserver.h"

#include <array>
#include <cstdint>
#include <mutex>

namespace iot {

/// Receive-to-commit latency of every stored row (commit end − receive time), as a log-scale histogram per second
/// over the last minute, for the p50 / p99 the counters show. transactionFinished() runs on the writer thread
/// (one lock per transaction); percentiles() is called from the GUI thread.
class CommitLatency final : public PipelineObserver
{
public:
    struct Percentiles
    {
        std::uint64_t rows = 0;      // rows in the window; 0: no percentiles
        std::int64_t p50Us = 0;
        std::int64_t p99Us = 0;
        std::int64_t maxUs = 0;
    };

    CommitLatency() = default;
    CommitLatency(const CommitLatency &) = delete;
    CommitLatency &operator=(const CommitLatency &) = delete;

    void transactionFinished(const TransactionReport &report) override;
    /// Over the rows committed in the last `windowSec` seconds (at most 60) before `nowUs`.
    Percentiles percentiles(std::int64_t nowUs, int windowSec = 60) const;

    /// Exposed for tests: the bucket a latency falls in, and the upper bound of a bucket (8 per octave, ~9 %).
    static int bucketOf(std::int64_t us);
    static std::int64_t upperBoundUs(int bucket);

    static constexpr int Buckets = 8 * 38;   // 1 µs .. ~3 days
    static constexpr int Slots = 61;

private:
    struct Slot
    {
        std::int64_t second = -1;
        std::uint64_t rows = 0;
        std::int64_t maxUs = 0;
        std::array<std::uint32_t, Buckets> counts{};
    };
    mutable std::mutex m_mutex;
    std::array<Slot, Slots> m_slots{};
};

} // namespace iot
