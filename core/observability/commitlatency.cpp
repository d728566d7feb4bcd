// SPDX-License-Identifier: MIT
#include "observability/commitlatency.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace iot {

int CommitLatency::bucketOf(std::int64_t us)
{
    if (us <= 1)
        return 0;
    // Octave from the highest set bit, then 8 linear steps inside it: no floating point per row.
    const auto v = std::uint64_t(us);
    const int octave = 63 - std::countl_zero(v);
    const int step = octave >= 3 ? int((v >> (octave - 3)) & 7) : int((v << (3 - octave)) & 7);
    return std::min(Buckets - 1, octave * 8 + step);
}

std::int64_t CommitLatency::upperBoundUs(int bucket)
{
    const int octave = bucket / 8;
    const int step = bucket % 8;
    return std::int64_t(std::ldexp(1.0 + (step + 1) / 8.0, octave));
}

void CommitLatency::transactionFinished(const TransactionReport &report)
{
    if (report.outcome != TransactionReport::Outcome::Committed || !report.batch || !report.rows
        || report.rows->empty() || report.batch->isSpilled())
        return;
    const std::int64_t second = report.endUs / 1000000;
    std::lock_guard lock(m_mutex);
    Slot &slot = m_slots[std::size_t(second % Slots)];
    if (slot.second != second) {
        slot = Slot{};
        slot.second = second;
    }
    for (const std::uint32_t row : *report.rows) {
        const std::int64_t latency = std::max<std::int64_t>(0, report.endUs - report.batch->receivedAtUs(row));
        ++slot.counts[std::size_t(bucketOf(latency))];
        slot.maxUs = std::max(slot.maxUs, latency);
    }
    slot.rows += report.rows->size();
}

CommitLatency::Percentiles CommitLatency::percentiles(std::int64_t nowUs, int windowSec) const
{
    const std::int64_t now = nowUs / 1000000;
    const int window = std::clamp(windowSec, 1, Slots - 1);
    std::array<std::uint64_t, Buckets> sum{};
    Percentiles p;
    {
        std::lock_guard lock(m_mutex);
        for (const Slot &slot : m_slots) {
            if (slot.second < 0 || slot.second <= now - window || slot.second > now)
                continue;
            for (int b = 0; b < Buckets; ++b)
                sum[std::size_t(b)] += slot.counts[std::size_t(b)];
            p.rows += slot.rows;
            p.maxUs = std::max(p.maxUs, slot.maxUs);
        }
    }
    if (p.rows == 0)
        return p;
    const auto rank50 = std::uint64_t(std::ceil(p.rows * 0.50));
    const auto rank99 = std::uint64_t(std::ceil(p.rows * 0.99));
    std::uint64_t seen = 0;
    for (int b = 0; b < Buckets; ++b) {
        seen += sum[std::size_t(b)];
        if (p.p50Us == 0 && seen >= rank50)
            p.p50Us = std::min(upperBoundUs(b), p.maxUs);
        if (seen >= rank99) {
            p.p99Us = std::min(upperBoundUs(b), p.maxUs);
            break;
        }
    }
    return p;
}

} // namespace iot
