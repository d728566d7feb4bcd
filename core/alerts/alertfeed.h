// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/jsonpointer.h"

#include <QByteArrayView>
#include <QString>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace iot {

/// The alerts' tap on ingestion: for each message, which rules its topic matches (cached per topic, so a topic no
/// rule matches costs one hash lookup and no JSON work), and for those the field's value, folded per rule and topic
/// until the next take() into a compact sample (first/last time, min, max, last value, count): memory follows the
/// topics, not the message rate. offer() runs on the ingest thread, take() on the main thread; the number of
/// folded samples is bounded and what does not fit is counted.
class AlertFeed final
{
public:
    struct Sample
    {
        int rule = -1;
        bool seen = false;       // staleness rule: messages arrived (values unused)
        double min = 0;
        double max = 0;
        double last = 0;
        qint64 firstUs = 0;
        qint64 lastUs = 0;
        quint64 count = 0;
        QString topic;
    };

    explicit AlertFeed(const QList<AlertRule> &rules, std::size_t maxSamples = 100000,
                       std::size_t maxCachedTopics = 100000);

    void offer(QByteArrayView topic, QByteArrayView payload, qint64 receivedAtUs);
    std::vector<Sample> take();

    /// Messages whose value could not be folded: maxSamples (rule, topic) pairs were waiting already.
    quint64 droppedSamples() const { return m_dropped.load(std::memory_order_relaxed); }
    quint64 unreadableValues() const { return m_unreadable.load(std::memory_order_relaxed); }

    /// A number out of a JSON value's text: numbers, true/false (1/0) and strings holding a number.
    static bool parseNumber(QByteArrayView text, double &out);

private:
    struct Hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct RuleTap
    {
        QString filter;
        bool stale = false;
        bool wholePayload = false;
        JsonPointer pointer;
    };
    std::vector<int> matching(QByteArrayView topic) const;

    std::vector<RuleTap> m_taps;   // index = rule index; pipeline rules have an empty filter
    std::unordered_map<std::string, std::vector<int>, Hash, std::equal_to<>> m_cache;  // ingest thread only
    std::size_t m_maxCached;
    std::size_t m_maxSamples;
    struct Folded
    {
        double min = 0, max = 0, last = 0;
        qint64 firstUs = 0, lastUs = 0;
        quint64 count = 0;
    };
    using FoldMap = std::unordered_map<std::string, Folded, Hash, std::equal_to<>>;
    std::mutex m_mutex;
    std::vector<FoldMap> m_folded;   // per rule, by topic; guarded by m_mutex
    std::size_t m_foldedCount = 0;
    std::atomic<quint64> m_dropped{0};
    std::atomic<quint64> m_unreadable{0};
};

} // namespace iot
