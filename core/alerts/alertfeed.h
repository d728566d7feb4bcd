// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/jsonpointer.h"
#include "pipeline/payloadcheck.h"

#include <QByteArrayView>
#include <QString>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace iot {

/// The alerts' tap on ingestion. Per topic (one hash lookup per message) it caches which rules match and holds
/// their folds, so a topic no rule matches costs that lookup and nothing else; for a matching topic all its
/// one-level fields are read in one walk of the raw bytes (deeper pointers one by one) and each value folded once
/// per field and topic, shared by the rules that read it (first/last time, min, max, last, count), until the next
/// take(), which hands out one sample per rule and topic: memory follows rules × topics, not the message rate, and
/// is bounded (topics cached, (rule, topic) slots in all) — values that find no room are counted. offer() runs on
/// the ingest thread, take() on the main thread.
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

    explicit AlertFeed(const QList<AlertRule> &rules, std::size_t maxSlots = 200000,
                       std::size_t maxCachedTopics = 100000);

    /// With `check` (the Batcher's, configured as the writer's), the payload is validated in the same walk that
    /// reads the fields: true when it passed, and the writer need not walk it again (Batch::Entry::checked). A
    /// payload that fails gives its fields no values (counted unreadable; staleness rules still see the message).
    /// Without `check` the fields are read by JsonPointer alone and the result is false.
    bool offer(QByteArrayView topic, QByteArrayView payload, qint64 receivedAtUs, const PayloadCheck *check = nullptr);
    /// The folded values since the last call, in order of their first message.
    std::vector<Sample> take();

    /// Values (or messages, for staleness rules) not folded: their topic found the cache or the slots full.
    quint64 droppedSamples() const { return m_dropped.load(std::memory_order_relaxed); }
    quint64 unreadableValues() const { return m_unreadable.load(std::memory_order_relaxed); }

    /// A number out of a JSON value's text: numbers, true/false (1/0) and strings holding a number.
    static bool parseNumber(QByteArrayView text, double &out);
    /// The same for the common case, cheaply: a plain decimal ("-21.53", "1200") with at most 15 significant
    /// digits, which one division by an exact power of ten converts correctly rounded; false for anything else
    /// (exponents, more digits, quotes, literals), which parseNumber() takes.
    static bool parseSimpleDecimal(QByteArrayView text, double &out);

private:
    // Eight bytes per step and one multiply each (a topic is 20–60 bytes): std::hash's _Hash_bytes was ~85
    // instructions per message. The last partial word is read as the eight bytes ending the topic (overlapping the
    // one before), so no byte-count-dependent copy (a memcpy call). The cache holds the topics of one site, not
    // data chosen to collide.
    static std::uint64_t hashBytes(const char *p, std::size_t n)
    {
        std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
        if (n >= 8) {
            const char *const last = p + n - 8;
            for (; p < last; p += 8) {
                std::uint64_t w;
                std::memcpy(&w, p, 8);
                h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
                h ^= h >> 32;
            }
            std::uint64_t w;
            std::memcpy(&w, last, 8);
            h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
        } else if (n > 0) {
            std::uint64_t w = 0;
            std::memcpy(&w, p, n);
            h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
        }
        return h ^ (h >> 29);
    }
    struct Hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::size_t(hashBytes(s.data(), s.size())); }
    };
    // offer() against take(): take() holds it once per evaluation, offer() for one message, so it is almost never
    // contended; a pthread mutex's lock and unlock were ~100 instructions per message, this is a handful.
    class SpinLock
    {
    public:
        void lock()
        {
            while (m_flag.test_and_set(std::memory_order_acquire))
                std::this_thread::yield();
        }
        void unlock() { m_flag.clear(std::memory_order_release); }

    private:
        std::atomic_flag m_flag = ATOMIC_FLAG_INIT;
    };
    struct RuleTap
    {
        QString filter;          // empty for pipeline rules
        bool stale = false;
        int pointer = -1;        // index into m_pointers; -1: the whole payload (value rules) or none (staleness)
    };
    /// The values of one field (or the messages, for staleness) of one topic since the last take(): shared by all
    /// the topic's rules that read it, so 10 rules on 2 fields fold twice per message, not ten times.
    struct Fold
    {
        // min/max start at ±infinity (and again after each take()), so add() needs no first-value branch.
        double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
        double last = 0;
        qint64 firstUs = 0, lastUs = 0;
        quint64 count = 0;       // 0: nothing since the last take()
    };
    struct TopicEntry
    {
        // Value folds first (one per distinct field of the matching value rules, in the order of `fields`), then
        // the staleness fold if a staleness rule matches.
        std::vector<Fold> folds;
        std::vector<int> fields;           // per value fold: index into m_pointers, -1 the whole payload
        std::vector<int> foldRules;        // per value fold: how many rules read it (unreadable values counted per rule)
        std::vector<std::pair<int, int>> rules;  // (rule, fold) per matching rule, for take()
        std::vector<QByteArrayView> scanKeys;     // the one-level fields' member names (into m_keys), read in one walk
        std::vector<int> scanIndex;               // per value fold: its index in scanKeys, or -1 (resolve() alone)
        QString name;            // the topic, converted once for take()'s samples (not at every evaluation)
        bool stale = false;      // the last fold is the staleness fold
        bool matched = false;    // some rule matches (its values are dropped when `rules` is empty: no room was left)
        bool allScanned = false; // every value fold is a one-level field read in the walk (scanIndex[f] == f)
        bool touched = false;    // in m_touched: folded something since the last take()
    };
    using Cache = std::unordered_map<std::string, TopicEntry, Hash, std::equal_to<>>;
    // The per-message lookup: an open-addressed table (power of two, at most half full) over m_cache's entries,
    // holding each topic's full hash, so a probe compares 8 bytes and only the one match compares the topic (word
    // by word, inline). m_cache's find() (bucket modulo, node chain, memcmp call) was ~175 instructions per message
    // with the lock; this is a third of that. m_cache keeps owning the entries (node-based: they do not move).
    struct IndexSlot
    {
        std::uint64_t hash = 0;
        TopicEntry *entry = nullptr;   // nullptr: free
        const char *key = nullptr;     // m_cache's key of the entry
        std::size_t size = 0;
    };
    // Inline (per message, from offer()): a call each was ~15 instructions of the lookup.
    TopicEntry *findIndexed(const char *key, std::size_t size, std::uint64_t hash) const
    {
        if (m_index.empty())
            return nullptr;
        const std::size_t mask = m_index.size() - 1;
        for (std::size_t i = slotOf(hash);; i = (i + 1) & mask) {
            const IndexSlot &slot = m_index[i];
            if (!slot.entry)
                return nullptr;
            if (slot.hash == hash && slot.size == size && sameBytes(slot.key, key, size))
                return slot.entry;
        }
    }
    void addIndexed(std::uint64_t hash, const std::string &key, TopicEntry *entry);
    static bool sameBytes(const char *a, const char *b, std::size_t n)
    {
        if (n < 8)
            return std::memcmp(a, b, n) == 0;
        // Word by word, the last word ending at the last byte (overlapping the one before): no memcmp call.
        std::uint64_t diff = 0, x, y;
        const std::size_t last = n - 8;
        for (std::size_t i = 0; i < last; i += 8) {
            std::memcpy(&x, a + i, 8);
            std::memcpy(&y, b + i, 8);
            diff |= x ^ y;
        }
        std::memcpy(&x, a + last, 8);
        std::memcpy(&y, b + last, 8);
        return (diff | (x ^ y)) == 0;
    }
    // The slot from the hash's top bits after one more multiply (Fibonacci hashing): the low bits of hashBytes()
    // vary too little between topics that differ only in their last characters ("s-0001", "s-0002"), which made
    // long probe runs when they were used directly.
    std::size_t slotOf(std::uint64_t hash) const
    {
        return std::size_t((hash * 0x9E3779B97F4A7C15ULL) >> m_indexShift);
    }

    /// Into m_touched once until the next take(), which visits only these.
    void touch(TopicEntry &entry)
    {
        if (!entry.touched) {
            entry.touched = true;
            m_touched.push_back(&entry);
        }
    }
    TopicEntry entryFor(QByteArrayView topic);
    bool fold(TopicEntry &entry, QByteArrayView payload, qint64 us, const PayloadCheck *check);
    static void add(Fold &f, double value, qint64 us)
    {
        f.firstUs = f.count == 0 ? us : f.firstUs;
        f.min = std::min(f.min, value);
        f.max = std::max(f.max, value);
        f.last = value;
        f.lastUs = us;
        ++f.count;
    }
    /// The staleness fold: only the times and the count are read.
    static void addSeen(Fold &f, qint64 us)
    {
        f.firstUs = f.count == 0 ? us : f.firstUs;
        f.lastUs = us;
        ++f.count;
    }
    static bool parseValue(QByteArrayView text, double &out);   // parseSimpleDecimal, else parseNumber

    std::vector<RuleTap> m_taps;        // index = rule index
    std::vector<JsonPointer> m_pointers;  // the distinct pointers of the value rules
    std::vector<QByteArray> m_keys;     // per pointer: its member name if it is one level deep ("/temperature"), ...
    std::vector<bool> m_simple;         // ... which all of a topic's fields are read in one walk of the payload
    // Per message: scratch for that walk.
    std::vector<JsonPointer::Result> m_scanResults;
    std::vector<QByteArrayView> m_scanValues;
    std::vector<std::uint8_t> m_scanSeen;
    std::vector<double> m_scanNumbers;
    std::size_t m_maxSlots;
    std::size_t m_maxCached;
    SpinLock m_mutex;                   // guards m_cache and m_slots (offer vs take)
    Cache m_cache;
    std::vector<IndexSlot> m_index;     // over m_cache (guarded by m_mutex too)
    int m_indexShift = 64;              // 64 - log2(m_index.size())
    // The entries that folded since the last take(), in the order of their first message: take() visits these
    // instead of the whole cache, and their samples come out (almost always) already in time order.
    std::vector<TopicEntry *> m_touched;
    std::size_t m_lastTaken = 0;        // samples of the last take() (main thread only)
    std::size_t m_slots = 0;
    std::atomic<quint64> m_dropped{0};
    std::atomic<quint64> m_unreadable{0};
};

} // namespace iot
