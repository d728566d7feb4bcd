// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

namespace iot {

/// When an open batch is handed to the writer: at `batchSize` messages, or `flushInterval` after its first message,
/// whichever comes first. Pure logic (times passed in), used by the Batcher on the ingest thread.
class FlushPolicy final
{
public:
    enum class Action { None, StartTimer, Flush };

    FlushPolicy(std::size_t batchSize, double flushIntervalSec);

    /// Called after a message was appended; `count` is the batch size now.
    Action afterAppend(std::size_t count) const;
    /// Milliseconds until a batch whose first message arrived at `firstUs` is due, at time `nowUs` (≥ 0).
    int msUntilDue(std::int64_t firstUs, std::int64_t nowUs) const;
    bool isDue(std::int64_t firstUs, std::int64_t nowUs) const { return msUntilDue(firstUs, nowUs) == 0; }

    std::size_t batchSize() const { return m_batchSize; }
    std::int64_t intervalUs() const { return m_intervalUs; }

private:
    std::size_t m_batchSize;
    std::int64_t m_intervalUs;
};

} // namespace iot
