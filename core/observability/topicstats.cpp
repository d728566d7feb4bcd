// SPDX-License-Identifier: MIT
#include "observability/topicstats.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace iot {

double TopicSample::ratePerSec(std::int64_t nowUs, std::int64_t graceUs) const
{
    if (intervalUs <= 0)
        return 0;
    // A topic that went quiet shows a falling rate instead of its last good one.
    const double silence = double(nowUs - lastSeenUs - graceUs);
    return 1e6 / std::max(intervalUs, silence);
}

bool TopicSample::isStale(std::int64_t nowUs, std::int64_t graceUs, double factor) const
{
    if (count < 3 || intervalUs <= 0)
        return false;
    return double(nowUs - lastSeenUs) > factor * intervalUs + double(graceUs);
}

TopicStats::TopicStats(int maxPayloadBytes, int maxTopics, std::int64_t maxTopicBytes)
    : m_maxPayloadBytes(std::max(0, maxPayloadBytes)),
      m_maxTopics(std::max(1, maxTopics)),
      m_maxTopicBytes(std::max<std::int64_t>(0, maxTopicBytes))
{
}

TopicStats::~TopicStats() = default;

void TopicStats::transactionFinished(const TransactionReport &report)
{
    if (report.outcome != TransactionReport::Outcome::Committed || !report.batch || !report.rows
        || report.rows->empty())
        return;
    const Batch &batch = *report.batch;
    // A spilled batch has no messages in memory: nothing to look at per row.
    if (batch.isSpilled())
        return;
    std::lock_guard lock(m_mutex);
    const std::uint64_t version = m_version.load(std::memory_order_relaxed) + 1;

    // Pass 1, per row: find the topic (no allocation for a known one) and remember its newest row.
    for (const std::uint32_t row : *report.rows) {
        const QByteArrayView topic = batch.topic(row);
        const std::int64_t at = batch.receivedAtUs(row);
        const auto it = m_index.constFind(QByteArray::fromRawData(topic.data(), topic.size()));
        std::uint32_t id = 0;
        if (it != m_index.constEnd()) {
            id = it.value();
        } else {
            // Counted by bytes too: 50,000 topics of MQTT's 64 KiB would be 3 GiB here and more in the tree.
            if (m_entries.size() >= std::size_t(m_maxTopics) || m_topicBytes + topic.size() > m_maxTopicBytes) {
                ++m_untracked;
                continue;
            }
            id = std::uint32_t(m_entries.size());
            Entry &fresh = m_entries.emplace_back();
            fresh.sample.id = id;
            fresh.sample.topic = topic.toByteArray();
            m_topicBytes += topic.size();
            m_index.insert(fresh.sample.topic, id);
        }
        Entry &e = m_entries[id];
        if (e.newRows++ == 0) {
            m_touched.push_back(id);
            e.firstNewUs = at;
            // A stored reading from before the restart says nothing about the usual interval.
            e.prevLastUs = e.sample.stored ? 0 : e.sample.lastSeenUs;
        }
        e.lastRow = row;
    }

    // Pass 2, per topic touched: counts, the interval estimate and one payload copy.
    for (const std::uint32_t id : m_touched) {
        Entry &e = m_entries[id];
        TopicSample &s = e.sample;
        const std::int64_t lastUs = batch.receivedAtUs(e.lastRow);
        double observed = -1;
        if (e.prevLastUs > 0)
            observed = double(lastUs - e.prevLastUs) / e.newRows;
        else if (e.newRows >= 2)
            observed = double(lastUs - e.firstNewUs) / (e.newRows - 1);
        if (observed >= 0) {
            // Several readings in one transaction weigh more than one.
            const double alpha = 1.0 - std::pow(0.8, std::min<std::uint32_t>(e.newRows, 20));
            s.intervalUs = s.intervalUs > 0 ? s.intervalUs + alpha * (observed - s.intervalUs) : observed;
        }
        s.count += e.newRows;
        s.stored = false;
        if (s.firstSeenUs == 0)
            s.firstSeenUs = e.firstNewUs;
        s.lastSeenUs = std::max(s.lastSeenUs, lastUs);
        const QByteArrayView payload = batch.payload(e.lastRow);
        const auto keep = std::min<qsizetype>(payload.size(), m_maxPayloadBytes);
        // resize() reuses the buffer unless a reader still shares it.
        s.lastPayload.resize(keep);
        if (keep > 0)
            std::memcpy(s.lastPayload.data(), payload.data(), std::size_t(keep));
        s.payloadSize = std::uint32_t(payload.size());
        e.newRows = 0;
        touch(id, version);
    }
    if (!m_touched.empty())
        m_version.store(version, std::memory_order_release);
    m_touched.clear();
}

void TopicStats::seedStored(const QList<StoredTopic> &topics)
{
    std::lock_guard lock(m_mutex);
    const std::uint64_t version = m_version.load(std::memory_order_relaxed) + 1;
    bool changed = false;
    for (const StoredTopic &t : topics) {
        if (m_index.contains(t.topic))
            continue;  // live data came first: it is newer
        if (m_entries.size() >= std::size_t(m_maxTopics) || m_topicBytes + t.topic.size() > m_maxTopicBytes)
            break;
        const auto id = std::uint32_t(m_entries.size());
        Entry &fresh = m_entries.emplace_back();
        TopicSample &s = fresh.sample;
        s.id = id;
        s.topic = t.topic;
        s.count = t.count;
        s.firstSeenUs = t.lastSeenUs;
        s.lastSeenUs = t.lastSeenUs;
        s.lastPayload = t.lastPayload.left(m_maxPayloadBytes);
        s.payloadSize = std::uint32_t(t.lastPayload.size());
        s.stored = true;
        m_topicBytes += t.topic.size();
        m_index.insert(s.topic, id);
        touch(id, version);
        changed = true;
    }
    if (changed)
        m_version.store(version, std::memory_order_release);
}

void TopicStats::mirror(const std::vector<TopicSample> &samples, std::uint64_t untracked)
{
    std::lock_guard lock(m_mutex);
    const std::uint64_t version = m_version.load(std::memory_order_relaxed) + 1;
    bool changed = untracked != m_untracked;
    m_untracked = untracked;
    for (const TopicSample &t : samples) {
        std::uint32_t id = 0;
        if (const auto it = m_index.constFind(t.topic); it != m_index.constEnd()) {
            id = it.value();
        } else {
            if (m_entries.size() >= std::size_t(m_maxTopics) || m_topicBytes + t.topic.size() > m_maxTopicBytes) {
                m_untracked += t.count;
                continue;
            }
            id = std::uint32_t(m_entries.size());
            m_entries.emplace_back().sample.topic = t.topic;
            m_topicBytes += t.topic.size();
            m_index.insert(t.topic, id);
        }
        TopicSample &s = m_entries[id].sample;
        s.count = t.count;
        s.firstSeenUs = t.firstSeenUs;
        s.lastSeenUs = t.lastSeenUs;
        s.intervalUs = t.intervalUs;
        s.lastPayload = t.lastPayload.left(m_maxPayloadBytes);
        s.payloadSize = t.payloadSize;
        s.stored = t.stored;
        s.id = id;
        touch(id, version);
        changed = true;
    }
    if (changed)
        m_version.store(version, std::memory_order_release);
}

void TopicStats::touch(std::uint32_t id, std::uint64_t version)
{
    Entry &e = m_entries[id];
    e.sample.version = version;
    const auto self = std::int32_t(id);
    if (m_tail == self)
        return;
    // Unlink (a new entry is not linked yet: prev == next == -1 and it is not the head).
    if (e.prev >= 0)
        m_entries[std::size_t(e.prev)].next = e.next;
    else if (m_head == self)
        m_head = e.next;
    if (e.next >= 0)
        m_entries[std::size_t(e.next)].prev = e.prev;
    // Append at the tail: the list stays ordered by version.
    e.prev = m_tail;
    e.next = -1;
    if (m_tail >= 0)
        m_entries[std::size_t(m_tail)].next = self;
    m_tail = self;
    if (m_head < 0)
        m_head = self;
}

std::uint64_t TopicStats::changesSince(std::uint64_t sinceVersion, std::vector<TopicSample> &out) const
{
    std::lock_guard lock(m_mutex);
    std::int32_t first = -1;
    for (std::int32_t i = m_tail; i >= 0 && m_entries[std::size_t(i)].sample.version > sinceVersion;
         i = m_entries[std::size_t(i)].prev)
        first = i;
    for (std::int32_t i = first; i >= 0; i = m_entries[std::size_t(i)].next)
        out.push_back(m_entries[std::size_t(i)].sample);
    return m_version.load(std::memory_order_relaxed);
}

std::size_t TopicStats::topicCount() const
{
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

std::uint64_t TopicStats::untrackedReadings() const
{
    std::lock_guard lock(m_mutex);
    return m_untracked;
}

} // namespace iot
