// SPDX-License-Identifier: MIT
#pragma once

#include "observability/tracespan.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace iot {

/// A bounded span buffer between the threads that record spans and the exporter: when full it drops the oldest
/// span and counts it, so a slow collector costs memory up to the bound and nothing else. Thread-safe.
class SpanQueue final
{
public:
    explicit SpanQueue(std::size_t capacity = 4096, std::size_t batchSize = 512);

    /// Called (under the queue's lock, so keep it to posting an event) when the queue reaches a batch.
    void setBatchReadyCallback(std::function<void()> callback);

    void push(TraceSpan span);
    /// Up to batchSize spans, oldest first.
    std::vector<TraceSpan> takeBatch();
    void countDropped(std::size_t spans);

    std::size_t size() const;
    std::size_t batchSize() const { return m_batchSize; }
    std::uint64_t dropped() const;

private:
    mutable std::mutex m_mutex;
    std::deque<TraceSpan> m_spans;
    std::function<void()> m_batchReady;
    std::size_t m_capacity;
    std::size_t m_batchSize;
    std::uint64_t m_dropped = 0;
    bool m_batchSignalled = false;   // one callback per batch, until takeBatch() empties below it
};

} // namespace iot
