// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>

#include <cstdint>
#include <string>
#include <vector>

namespace iot {

/// A run of received messages stored back to back in one buffer, so appending a message allocates nothing
/// once the buffer has grown. Filled on the ingest thread and queued whole; the writer thread copies queued batches
/// into its transaction's batch (appendAll), and BatchQueue hands the emptied ones back to the ingest side for reuse.
class Batch final
{
public:
    /// 64-bit offset: a transaction's batch (group commit, a read-back, a bisection's extension) may pass 4 GiB
    /// with large payloads, and 32 bits would then pair topics and payloads with the wrong rows. The payload follows
    /// its topic, so one offset serves both and the entry keeps its 32 bytes.
    struct Entry
    {
        std::uint64_t offset = 0;        // of the topic; the payload starts at offset + topicSize
        std::uint32_t topicSize : 31 = 0;   // MQTT topics are at most 65,535 bytes
        /// The ingest thread already ran PayloadCheck on it and it passed (set only where the alert feed walks
        /// every payload anyway): the writer does not walk it again. Messages read back from the spool have it clear.
        std::uint32_t checked : 1 = 0;
        std::uint32_t payloadSize = 0;
        std::int64_t receivedAtUs = 0;   // µs since the Unix epoch, stamped on arrival
        std::uint64_t spoolEnd = 0;      // spool position just after this message's record (0: not spooled)
    };
    /// A run of spooled messages whose bytes were not kept in memory (the backlog spilled to disk); the writer
    /// reads them back from the spool.
    struct Spill
    {
        std::uint64_t from = 0;
        std::uint64_t to = 0;
        std::size_t count = 0;
    };

    Batch() = default;
    void reserve(std::size_t messages, std::size_t bytes);

    void append(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint64_t spoolEnd = 0,
                bool checked = false);
    static Batch spilled(Spill spill);

    /// Messages this batch stands for: its entries, or a spill's count.
    std::size_t size() const { return m_spill.count ? m_spill.count : m_entries.size(); }
    bool isSpilled() const { return m_spill.count != 0; }
    const Spill &spill() const { return m_spill; }
    std::uint64_t spoolEnd(std::size_t i) const { return m_entries[i].spoolEnd; }
    std::uint64_t lastSpoolEnd() const { return m_entries.empty() ? 0 : m_entries.back().spoolEnd; }
    /// The spool position just after the last spooled message among the first `count` (0: none): what a commit of
    /// them may checkpoint. A message the disk refused (held in memory only) has no position of its own.
    std::uint64_t spoolEndOfFirst(std::size_t count) const;
    bool isEmpty() const { return size() == 0; }
    std::size_t bytes() const { return m_data.size(); }
    /// What the messages occupy in memory (their bytes and entries): what max_buffered_mb counts. 0 when spilled.
    std::size_t memoryBytes() const { return m_data.size() + m_entries.size() * sizeof(Entry); }
    /// memoryBytes() of one message, before it is appended.
    static std::size_t memoryBytes(std::size_t topicSize, std::size_t payloadSize)
    {
        return topicSize + payloadSize + sizeof(Entry);
    }
    const Entry &entry(std::size_t i) const { return m_entries[i]; }
    QByteArrayView topic(std::size_t i) const;
    QByteArrayView payload(std::size_t i) const;
    std::int64_t receivedAtUs(std::size_t i) const { return m_entries[i].receivedAtUs; }
    /// Entry::checked: the payload passed PayloadCheck on the ingest thread.
    bool checked(std::size_t i) const { return m_entries[i].checked; }
    std::int64_t firstReceivedAtUs() const { return m_entries.empty() ? 0 : m_entries.front().receivedAtUs; }

    /// Copies every message of `other` to the end of this batch, keeping `other` (and its buffers) intact.
    void appendAll(const Batch &other);
    /// Bytes of memory the buffers hold (clear() keeps them).
    std::size_t capacityBytes() const { return m_data.capacity() + m_entries.capacity() * sizeof(Entry); }
    void clear();

private:
    std::vector<Entry> m_entries;
    std::string m_data;
    Spill m_spill;
};

} // namespace iot
