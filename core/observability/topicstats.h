// SPDX-License-Identifier: MIT
#pragma once

#include "history/storedtopics.h"
#include "pipeline/pipelineobserver.h"

#include <QByteArray>
#include <QHash>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace iot {

/// One topic's statistics as of a pull: readings stored, when the latest arrived, its smoothed interval and payload.
struct TopicSample
{
    std::uint32_t id = 0;              // stable, assigned in order of first sight; indexes nothing outside TopicStats
    QByteArray topic;
    std::uint64_t count = 0;           // rows stored in the readings table (dead letters are not counted)
    std::int64_t firstSeenUs = 0;      // receive time of the first / latest stored message, µs since epoch
    std::int64_t lastSeenUs = 0;
    double intervalUs = 0;             // smoothed time between messages; 0 until two have been seen
    QByteArray lastPayload;            // the latest payload, cut at maxPayloadBytes (see payloadSize)
    std::uint32_t payloadSize = 0;     // the latest payload's full size in bytes
    std::uint64_t version = 0;         // TopicStats::version() when this topic last changed
    bool stored = false;               // known from the database at start (seedStored); no live message since

    bool payloadTruncated() const { return payloadSize > std::uint32_t(lastPayload.size()); }
    /// Messages per second as of `nowUs`: the usual rate, decaying once the topic is silent longer than usual.
    /// `graceUs` is how late a reading may show up here anyway (batching: flush interval plus commit time).
    double ratePerSec(std::int64_t nowUs, std::int64_t graceUs = 0) const;
    /// Silent for more than `factor` times its usual interval plus `graceUs` (needs three readings to know what
    /// "usual" is).
    bool isStale(std::int64_t nowUs, std::int64_t graceUs, double factor = 3.0) const;
};

/// Per-topic statistics from committed write transactions: count, latest payload (shortened), last-seen time and
/// an interval estimate, for the desktop's topic tree. transactionFinished() runs on the writer thread and takes
/// the mutex once per transaction; readers on any thread pull only what changed since their last pull. Bounded in
/// topics and in topic bytes: a topic beyond either is not tracked, its readings only counted (untrackedReadings).
class TopicStats final : public PipelineObserver
{
public:
    /// Default byte budget for the names of tracked topics: 50,000 topics of 160 bytes, or 128 of MQTT's 64 KiB.
    static constexpr std::int64_t DefaultMaxTopicBytes = 8 << 20;

    explicit TopicStats(int maxPayloadBytes = 4096, int maxTopics = 50000,
                        std::int64_t maxTopicBytes = DefaultMaxTopicBytes);
    ~TopicStats() override;
    TopicStats(const TopicStats &) = delete;
    TopicStats &operator=(const TopicStats &) = delete;

    void transactionFinished(const TransactionReport &report) override;
    /// Adds the topics the database had at start (count = readings stored in its window, the latest payload and
    /// time), marked `stored` until a live message comes. Topics already seen live are left alone. Any thread.
    void seedStored(const QList<StoredTopic> &topics);
    /// Takes topics as another TopicStats reported them (a remote instance's /api/v1/topics, mirrored on the
    /// desktop): their figures replace what is known of them, new ones are added within the same bounds (`id` and
    /// `version` are this object's own). `untracked`: the other side's untrackedReadings. Any thread.
    void mirror(const std::vector<TopicSample> &samples, std::uint64_t untracked);

    /// Bumped on every transaction that changed a topic; a lock-free "anything new?" check.
    std::uint64_t version() const { return m_version.load(std::memory_order_acquire); }
    /// Appends the topics changed after `sinceVersion` (0: all) to `out`, oldest change first, and returns the
    /// version to pass next time. Costs O(changed topics), not O(all topics).
    std::uint64_t changesSince(std::uint64_t sinceVersion, std::vector<TopicSample> &out) const;
    std::size_t topicCount() const;
    /// Readings of topics beyond maxTopics or maxTopicBytes: counted here, not tracked one by one.
    std::uint64_t untrackedReadings() const;

private:
    struct Entry
    {
        TopicSample sample;
        std::uint32_t newRows = 0;     // scratch during one transaction
        std::uint32_t lastRow = 0;
        std::int64_t firstNewUs = 0;
        std::int64_t prevLastUs = 0;
        std::int32_t prev = -1;        // neighbours in the list ordered by version (oldest change at the head)
        std::int32_t next = -1;
    };
    void touch(std::uint32_t id, std::uint64_t version);

    const int m_maxPayloadBytes;
    const int m_maxTopics;
    const std::int64_t m_maxTopicBytes;
    std::int64_t m_topicBytes = 0;     // names of the tracked topics
    mutable std::mutex m_mutex;
    std::vector<Entry> m_entries;
    QHash<QByteArray, std::uint32_t> m_index;
    std::vector<std::uint32_t> m_touched;   // scratch: topics seen in the current transaction
    std::int32_t m_head = -1;
    std::int32_t m_tail = -1;
    std::uint64_t m_untracked = 0;
    std::atomic<std::uint64_t> m_version{0};
};

} // namespace iot
