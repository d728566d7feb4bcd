// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/batch.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace iot {

/// Hand-over of whole batches from the ingest thread to the writer thread. One lock per batch, never per message.
class BatchQueue final
{
public:
    /// Appends a batch; returns true when the queue was empty, i.e. the writer may be idle and needs a wake-up.
    bool push(Batch &&batch);
    /// Appends a spilled run (merged into the tail when that is a spill ending where this one starts).
    bool pushSpill(Batch::Spill spill);
    /// Appends whole batches to `out` while it stays within `maxRows` rows and `maxBytes` of memoryBytes() (the
    /// first batch is always taken); returns false when nothing was queued. A spill at the head is handed out alone,
    /// for the writer to read back.
    /// The messages are copied into `out` (whose buffers the writer reuses) and the emptied batches kept for
    /// takeFree().
    bool takeUpTo(std::size_t maxRows, Batch &out, std::size_t maxBytes = SIZE_MAX);
    /// Puts an unwritten batch back at the head, so order is kept across a retry.
    void pushFront(Batch &&batch);
    /// An empty batch whose buffers were used before (handed back by takeUpTo), or a new one. The ingest side takes
    /// its next open batch from here, so steady-state batching allocates no memory and touches no fresh pages.
    Batch takeFree();

    std::size_t messages() const { return m_messages.load(std::memory_order_relaxed); }
    bool isEmpty() const { return messages() == 0; }
    /// Queued messages whose bytes are held in memory (not spilled).
    std::size_t inMemoryMessages() const { return m_inMemory.load(std::memory_order_relaxed); }
    /// Their Batch::memoryBytes(): what max_buffered_mb counts of the queue.
    std::size_t inMemoryBytes() const { return m_inMemoryBytes.load(std::memory_order_relaxed); }

private:
    mutable std::mutex m_mutex;
    std::deque<Batch> m_batches;
    std::vector<Batch> m_free;  // emptied batches with their buffers, for takeFree()
    std::size_t m_freeBytes = 0;
    std::atomic<std::size_t> m_messages{0};
    std::atomic<std::size_t> m_inMemory{0};
    std::atomic<std::size_t> m_inMemoryBytes{0};
};

} // namespace iot
