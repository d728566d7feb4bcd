// SPDX-License-Identifier: MIT
#include "pipeline/batchqueue.h"

#include <vector>

namespace iot {
namespace {

// Emptied batches kept for reuse: enough for the batches handed over between two writer turns at full speed, and
// never more memory than this (a large batch_size then allocates per batch, as before).
constexpr std::size_t MaxFree = 8;
constexpr std::size_t MaxFreeBytes = 4u << 20;

} // namespace

bool BatchQueue::push(Batch &&batch)
{
    if (batch.isEmpty())
        return false;
    const std::size_t n = batch.size();
    std::lock_guard lock(m_mutex);
    const bool wasEmpty = m_batches.empty();
    if (!batch.isSpilled()) {
        m_inMemory.fetch_add(n, std::memory_order_relaxed);
        m_inMemoryBytes.fetch_add(batch.memoryBytes(), std::memory_order_relaxed);
    }
    m_batches.push_back(std::move(batch));
    m_messages.fetch_add(n, std::memory_order_relaxed);
    return wasEmpty;
}

bool BatchQueue::pushSpill(Batch::Spill spill)
{
    if (spill.count == 0)
        return false;
    {
        std::lock_guard lock(m_mutex);
        if (!m_batches.empty() && m_batches.back().isSpilled() && m_batches.back().spill().to == spill.from) {
            const Batch::Spill t = m_batches.back().spill();
            m_batches.back() = Batch::spilled({t.from, spill.to, t.count + spill.count});
            m_messages.fetch_add(spill.count, std::memory_order_relaxed);
            return false;
        }
    }
    return push(Batch::spilled(spill));
}

bool BatchQueue::takeUpTo(std::size_t maxRows, Batch &out, std::size_t maxBytes)
{
    // Detach under the lock, merge outside it: the ingest thread must never wait for a copy.
    std::vector<Batch> taken;
    {
        std::lock_guard lock(m_mutex);
        if (m_batches.empty())
            return false;
        if (m_batches.front().isSpilled()) {
            out = std::move(m_batches.front());
            m_batches.pop_front();
            m_messages.fetch_sub(out.size(), std::memory_order_relaxed);
            return true;
        }
        std::size_t rows = out.size();
        std::size_t bytes = out.memoryBytes();
        do {
            rows += m_batches.front().size();
            bytes += m_batches.front().memoryBytes();
            taken.push_back(std::move(m_batches.front()));
            m_batches.pop_front();
        } while (!m_batches.empty() && !m_batches.front().isSpilled() && rows + m_batches.front().size() <= maxRows
                 && bytes + m_batches.front().memoryBytes() <= maxBytes);
    }
    std::size_t n = 0, bytes = 0;
    for (Batch &b : taken) {
        n += b.size();
        bytes += b.memoryBytes();
        out.appendAll(b);
        b.clear();
    }
    m_messages.fetch_sub(n, std::memory_order_relaxed);
    m_inMemory.fetch_sub(n, std::memory_order_relaxed);
    m_inMemoryBytes.fetch_sub(bytes, std::memory_order_relaxed);
    std::lock_guard lock(m_mutex);
    for (Batch &b : taken) {
        const std::size_t bytes = b.capacityBytes();
        if (m_free.size() >= MaxFree || m_freeBytes + bytes > MaxFreeBytes)
            break;
        m_freeBytes += bytes;
        m_free.push_back(std::move(b));
    }
    return true;
}

Batch BatchQueue::takeFree()
{
    std::lock_guard lock(m_mutex);
    if (m_free.empty())
        return {};
    Batch b = std::move(m_free.back());
    m_free.pop_back();
    m_freeBytes -= b.capacityBytes();
    return b;
}

void BatchQueue::pushFront(Batch &&batch)
{
    if (batch.isEmpty())
        return;
    const std::size_t n = batch.size();
    std::lock_guard lock(m_mutex);
    if (!batch.isSpilled()) {
        m_inMemory.fetch_add(n, std::memory_order_relaxed);
        m_inMemoryBytes.fetch_add(batch.memoryBytes(), std::memory_order_relaxed);
    }
    m_batches.push_front(std::move(batch));
    m_messages.fetch_add(n, std::memory_order_relaxed);
}

} // namespace iot
