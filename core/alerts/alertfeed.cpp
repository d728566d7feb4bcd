// SPDX-License-Identifier: MIT
#include "alerts/alertfeed.h"

#include "export/topicfilters.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace iot {

AlertFeed::AlertFeed(const QList<AlertRule> &rules, std::size_t maxSlots, std::size_t maxCachedTopics)
    : m_maxSlots(maxSlots), m_maxCached(maxCachedTopics)
{
    QStringList pointers;
    for (const AlertRule &r : rules) {
        RuleTap tap;
        if (r.kind == AlertRule::Kind::Value || r.kind == AlertRule::Kind::Stale) {
            tap.filter = r.topic;
            tap.stale = r.kind == AlertRule::Kind::Stale;
            if (r.kind == AlertRule::Kind::Value && !r.pointer.isEmpty()) {
                // Rules reading the same field share one fold per topic.
                qsizetype i = pointers.indexOf(r.pointer);
                if (i < 0) {
                    i = pointers.size();
                    pointers << r.pointer;
                    m_pointers.emplace_back(r.pointer);
                    QByteArray key;
                    m_simple.push_back(m_pointers.back().singleKey(key));
                    m_keys.push_back(key);
                }
                tap.pointer = int(i);
            }
        }
        m_taps.push_back(std::move(tap));
    }
}

AlertFeed::TopicEntry AlertFeed::entryFor(QByteArrayView topic)
{
    TopicEntry entry;
    const QString text = QString::fromUtf8(topic);
    std::vector<int> matching;
    for (std::size_t i = 0; i < m_taps.size(); ++i)
        if (!m_taps[i].filter.isEmpty() && TopicFilters::matches(m_taps[i].filter, text))
            matching.push_back(int(i));
    entry.matched = !matching.empty();
    if (entry.matched)
        entry.name = text;
    // All of a topic's rules or none: a topic either has its values or has them counted as dropped.
    if (matching.empty() || m_slots + matching.size() > m_maxSlots)
        return entry;
    m_slots += matching.size();
    for (const int rule : matching) {
        const RuleTap &tap = m_taps[std::size_t(rule)];
        if (tap.stale)
            continue;
        auto at = std::find(entry.fields.begin(), entry.fields.end(), tap.pointer);
        if (at == entry.fields.end()) {
            entry.fields.push_back(tap.pointer);
            entry.foldRules.push_back(0);
            at = entry.fields.end() - 1;
        }
        const auto f = at - entry.fields.begin();
        ++entry.foldRules[std::size_t(f)];
        entry.rules.emplace_back(rule, int(f));
    }
    entry.folds.resize(entry.fields.size());
    for (const int p : entry.fields) {
        const bool simple = p >= 0 && m_simple[std::size_t(p)];
        entry.scanIndex.push_back(simple ? int(entry.scanKeys.size()) : -1);
        if (simple)
            entry.scanKeys.emplace_back(m_keys[std::size_t(p)]);
    }
    if (m_scanResults.size() < entry.scanKeys.size()) {
        m_scanResults.resize(entry.scanKeys.size());
        m_scanValues.resize(entry.scanKeys.size());
        m_scanSeen.resize(entry.scanKeys.size());
        m_scanNumbers.resize(entry.scanKeys.size());
    }
    entry.allScanned = !entry.fields.empty()
        && std::all_of(entry.scanIndex.begin(), entry.scanIndex.end(), [&](int k) { return k >= 0; });
    for (const int rule : matching) {
        if (!m_taps[std::size_t(rule)].stale)
            continue;
        if (!entry.stale) {
            entry.stale = true;
            entry.folds.emplace_back();
        }
        entry.rules.emplace_back(rule, int(entry.folds.size() - 1));
    }
    return entry;
}

bool AlertFeed::parseSimpleDecimal(QByteArrayView text, double &out)
{
    static constexpr double Pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
                                       1e14, 1e15};
    const char *p = text.data();
    const char *const end = p + text.size();
    const bool negative = p < end && *p == '-';
    if (negative)
        ++p;
    std::uint64_t mantissa = 0;
    int digits = 0;
    int fraction = 0;
    const char *const intStart = p;
    for (; p < end && unsigned(*p - '0') < 10; ++p, ++digits)
        mantissa = mantissa * 10 + unsigned(*p - '0');
    if (p == intStart)
        return false;
    if (p < end && *p == '.') {
        const char *const fracStart = ++p;
        for (; p < end && unsigned(*p - '0') < 10; ++p, ++digits)
            mantissa = mantissa * 10 + unsigned(*p - '0');
        fraction = int(p - fracStart);
        if (fraction == 0)
            return false;
    }
    // Below 10^15 both the mantissa (< 2^53) and the power of ten are exact doubles, so the one division is
    // correctly rounded: the same double std::from_chars gives.
    if (p != end || digits > 15)
        return false;
    const double value = double(mantissa) / Pow10[fraction];
    out = negative ? -value : value;
    return true;
}

bool AlertFeed::parseNumber(QByteArrayView text, double &out)
{
    if (parseSimpleDecimal(text, out))
        return true;
    text = text.trimmed();
    if (text == "true" || text == "false") {
        out = text == "true" ? 1.0 : 0.0;
        return true;
    }
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.sliced(1, text.size() - 2).trimmed();
    if (text.isEmpty())
        return false;
    const char *begin = text.data();
    const char *end = begin + text.size();
    if (*begin == '+')
        ++begin;
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    return ec == std::errc() && ptr == end && std::isfinite(out);
}

bool AlertFeed::parseValue(QByteArrayView text, double &out)
{
    return parseSimpleDecimal(text, out) || parseNumber(text, out);
}

bool AlertFeed::fold(TopicEntry &entry, QByteArrayView payload, qint64 us, const PayloadCheck *check)
{
    touch(entry);
    const std::size_t n = entry.fields.size();
    bool verified = false;
    if (n > 0) {
        // One walk of the payload for all the one-level fields — with `check` the same walk that validates it for
        // the writer —; the rest (deeper pointers, the whole payload, a top-level array) one by one.
        bool scanned = true;
        bool valid = true;
        bool seenInCheck = false;
        if (check) {
            PayloadMembers members{entry.scanKeys.data(), entry.scanKeys.size(), m_scanSeen.data(),
                                   m_scanValues.data()};
            valid = verified = check->check(payload, members).ok();
            if (verified && members.object) {
                seenInCheck = true;   // m_scanSeen: 1 found, 0 missing, 2 (or an escaped key) unsure
                if (members.escapedKey)
                    std::fill(m_scanSeen.begin(), m_scanSeen.end(), std::uint8_t(2));
            } else if (verified && !entry.scanKeys.empty()) {
                scanned = JsonPointer::resolveMembers(payload, entry.scanKeys.data(), entry.scanKeys.size(),
                                                      m_scanResults.data(), m_scanValues.data());
            }
        } else if (!entry.scanKeys.empty()) {
            scanned = JsonPointer::resolveMembers(payload, entry.scanKeys.data(), entry.scanKeys.size(),
                                                  m_scanResults.data(), m_scanValues.data());
        }
        for (std::size_t f = 0; f < n; ++f) {
            const int p = entry.fields[f];
            const int k = entry.scanIndex[f];
            double value = 0;
            bool ok = false;
            if (!valid) {
                ok = false;   // the writer dead-letters it: its values are not the sensor's
            } else if (p < 0) {
                ok = parseNumber(payload, value);
            } else if (k >= 0 && seenInCheck) {
                const QByteArrayView text = m_scanValues[std::size_t(k)];
                ok = m_scanSeen[std::size_t(k)] == 1 && parseValue(text, value);
            } else if (k >= 0 && scanned) {
                const QByteArrayView text = m_scanValues[std::size_t(k)];
                ok = m_scanResults[std::size_t(k)] == JsonPointer::Result::Found && parseValue(text, value);
            } else {
                QByteArrayView text;
                ok = m_pointers[std::size_t(p)].resolve(payload, text) == JsonPointer::Result::Found
                    && parseNumber(text, value);
            }
            if (ok)
                add(entry.folds[f], value, us);
            else
                m_unreadable.fetch_add(quint64(entry.foldRules[f]), std::memory_order_relaxed);
        }
    } else if (check) {
        verified = check->check(payload).ok();
    }
    if (entry.stale)
        addSeen(entry.folds.back(), us);
    return verified;
}

void AlertFeed::addIndexed(std::uint64_t hash, const std::string &key, TopicEntry *entry)
{
    // At most half full (m_cache already holds the new entry): probes stay short and a free slot ends each one.
    if (m_cache.size() * 2 > m_index.size()) {
        const std::vector<IndexSlot> old =
            std::exchange(m_index, std::vector<IndexSlot>(std::max<std::size_t>(64, m_index.size() * 2)));
        m_indexShift = 64 - std::countr_zero(m_index.size());
        const std::size_t mask = m_index.size() - 1;
        for (const IndexSlot &slot : old) {
            if (!slot.entry)
                continue;
            std::size_t i = slotOf(slot.hash);
            while (m_index[i].entry)
                i = (i + 1) & mask;
            m_index[i] = slot;
        }
    }
    const std::size_t mask = m_index.size() - 1;
    std::size_t i = slotOf(hash);
    while (m_index[i].entry)
        i = (i + 1) & mask;
    m_index[i] = {hash, entry, key.data(), key.size()};
}

bool AlertFeed::offer(QByteArrayView topic, QByteArrayView payload, qint64 receivedAtUs, const PayloadCheck *check)
{
    const auto size = std::size_t(topic.size());
    const std::uint64_t hash = hashBytes(topic.data(), size);
    {
        const std::lock_guard lock(m_mutex);
        bool matched;
        if (TopicEntry *entry = findIndexed(topic.data(), size, hash)) {
            if (check && entry->allScanned) {
                // The common case inline, without fold()'s per-field dispatch: all the topic's fields are one level
                // deep and read in the check's walk, plain decimals converted there (NaN: anything else, converted
                // here from the text).
                touch(*entry);
                const std::size_t n = entry->fields.size();
                PayloadMembers members{entry->scanKeys.data(), n, m_scanSeen.data(), m_scanValues.data(),
                                       m_scanNumbers.data()};
                const bool ok = check->check(payload, members).ok();
                if (!ok || (members.object && !members.escapedKey)) {
                    for (std::size_t f = 0; f < n; ++f) {
                        double value = m_scanNumbers[f];
                        if (ok && m_scanSeen[f] == 1 && (value == value || parseValue(m_scanValues[f], value)))
                            add(entry->folds[f], value, receivedAtUs);
                        else
                            m_unreadable.fetch_add(quint64(entry->foldRules[f]), std::memory_order_relaxed);
                    }
                    if (entry->stale)
                        addSeen(entry->folds.back(), receivedAtUs);
                    return ok;
                }
                // An escaped top-level key or not an object (rare): fold() the general way, check included.
            }
            if (!entry->rules.empty())
                return fold(*entry, payload, receivedAtUs, check);
            matched = entry->matched;
        } else if (m_cache.size() < m_maxCached) {
            const auto it = m_cache.emplace(std::string(topic.data(), size), entryFor(topic)).first;
            addIndexed(hash, it->first, &it->second);
            if (!it->second.rules.empty())
                return fold(it->second, payload, receivedAtUs, check);
            matched = it->second.matched;
        } else {
            // Beyond the cache: matched each time, its values not tracked (counted).
            matched = entryFor(topic).matched;
        }
        // No rule reads this topic, or its values find no room (counted).
        if (matched)
            m_dropped.fetch_add(1, std::memory_order_relaxed);
    }
    return check && check->check(payload).ok();
}

std::vector<AlertFeed::Sample> AlertFeed::take()
{
    std::vector<Sample> out;
    out.reserve(m_lastTaken);   // about as many as last time: no regrowth (moving every sample) while filling
    {
        const std::lock_guard lock(m_mutex);
        for (TopicEntry *entry : m_touched) {
            for (const auto &[rule, f] : entry->rules) {
                const Fold &s = entry->folds[std::size_t(f)];
                if (s.count == 0)
                    continue;
                // A staleness fold keeps only times and count (its values were always 0).
                const bool stale = m_taps[std::size_t(rule)].stale;
                out.push_back({rule, stale, stale ? 0.0 : s.min, stale ? 0.0 : s.max, s.last, s.firstUs, s.lastUs,
                               s.count, entry->name});
            }
            for (Fold &s : entry->folds)
                s = Fold();
            entry->touched = false;
        }
        m_touched.clear();
    }
    m_lastTaken = out.size();
    // In time order, so the evaluator sees topics' changes as they happened. The touched entries are in the order
    // of their first message, so this is almost always sorted already (not when a topic's first message had an
    // unreadable field): checked in one pass, sorted only when not. Sorted as (time, index) pairs and then moved
    // into place once: swapping whole samples (a QString each) was most of take()'s cost.
    const auto earlier = [](const Sample &a, const Sample &b) { return a.firstUs < b.firstUs; };
    if (std::is_sorted(out.begin(), out.end(), earlier))
        return out;
    std::vector<std::pair<qint64, std::uint32_t>> order(out.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        order[i] = {out[i].firstUs, std::uint32_t(i)};
    std::sort(order.begin(), order.end());
    std::vector<Sample> sorted;
    sorted.reserve(out.size());
    for (const auto &[us, i] : order)
        sorted.push_back(std::move(out[i]));
    return sorted;
}

} // namespace iot
