// SPDX-License-Identifier: MIT
#include "observability/spanqueue.h"

#include <algorithm>
#include <iterator>

namespace iot {

SpanQueue::SpanQueue(std::size_t capacity, std::size_t batchSize)
    : m_capacity(std::max<std::size_t>(1, capacity)), m_batchSize(std::clamp<std::size_t>(batchSize, 1, m_capacity))
{
}

void SpanQueue::setBatchReadyCallback(std::function<void()> callback)
{
    std::lock_guard lock(m_mutex);
    m_batchReady = std::move(callback);
}

void SpanQueue::push(TraceSpan span)
{
    std::lock_guard lock(m_mutex);
    if (m_spans.size() >= m_capacity) {
        m_spans.pop_front();
        ++m_dropped;
    }
    m_spans.push_back(std::move(span));
    if (m_spans.size() >= m_batchSize && !m_batchSignalled && m_batchReady) {
        m_batchSignalled = true;
        m_batchReady();
    }
}

std::vector<TraceSpan> SpanQueue::takeBatch()
{
    std::lock_guard lock(m_mutex);
    const auto n = static_cast<std::ptrdiff_t>(std::min(m_batchSize, m_spans.size()));
    std::vector<TraceSpan> batch(std::make_move_iterator(m_spans.begin()),
                                 std::make_move_iterator(m_spans.begin() + n));
    m_spans.erase(m_spans.begin(), m_spans.begin() + n);
    m_batchSignalled = m_spans.size() >= m_batchSize && m_batchSignalled;
    return batch;
}

void SpanQueue::countDropped(std::size_t spans)
{
    std::lock_guard lock(m_mutex);
    m_dropped += spans;
}

std::size_t SpanQueue::size() const
{
    std::lock_guard lock(m_mutex);
    return m_spans.size();
}

std::uint64_t SpanQueue::dropped() const
{
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

} // namespace iot
