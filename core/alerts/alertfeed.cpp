// SPDX-License-Identifier: MIT
#include "alerts/alertfeed.h"

#include "export/topicfilters.h"

#include <algorithm>
#include <charconv>
#include <cmath>

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
                // Rules reading the same field share one lookup per message.
                qsizetype i = pointers.indexOf(r.pointer);
                if (i < 0) {
                    i = pointers.size();
                    pointers << r.pointer;
                    m_pointers.emplace_back(r.pointer);
                }
                tap.pointer = int(i);
            }
        }
        m_taps.push_back(std::move(tap));
    }
    m_values.resize(m_pointers.size());
    m_state.resize(m_pointers.size());
}

AlertFeed::TopicEntry AlertFeed::entryFor(QByteArrayView topic)
{
    TopicEntry entry;
    const QString text = QString::fromUtf8(topic);
    for (std::size_t i = 0; i < m_taps.size(); ++i) {
        if (m_taps[i].filter.isEmpty() || !TopicFilters::matches(m_taps[i].filter, text))
            continue;
        entry.matched = true;
        if (m_slots >= m_maxSlots)
            continue;
        entry.slots.push_back(Slot{int(i)});
        ++m_slots;
    }
    return entry;
}

bool AlertFeed::parseNumber(QByteArrayView text, double &out)
{
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

void AlertFeed::fold(TopicEntry &entry, QByteArrayView payload, qint64 us)
{
    std::fill(m_state.begin(), m_state.end(), 0);
    for (Slot &slot : entry.slots) {
        const RuleTap &tap = m_taps[std::size_t(slot.rule)];
        double value = 0;
        if (!tap.stale) {
            bool ok = false;
            if (tap.pointer < 0) {
                ok = parseNumber(payload, value);
            } else {
                const auto p = std::size_t(tap.pointer);
                if (m_state[p] == 0) {
                    QByteArrayView text;
                    const bool found = m_pointers[p].resolve(payload, text) == JsonPointer::Result::Found;
                    m_state[p] = found && parseNumber(text, m_values[p]) ? 1 : -1;
                }
                ok = m_state[p] == 1;
                value = m_values[p];
            }
            if (!ok) {
                m_unreadable.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
        }
        if (slot.count == 0) {
            slot.min = slot.max = value;
            slot.firstUs = us;
        }
        slot.min = std::min(slot.min, value);
        slot.max = std::max(slot.max, value);
        slot.last = value;
        slot.lastUs = us;
        ++slot.count;
    }
}

void AlertFeed::offer(QByteArrayView topic, QByteArrayView payload, qint64 receivedAtUs)
{
    const std::string_view key(topic.data(), std::size_t(topic.size()));
    const std::lock_guard lock(m_mutex);
    auto it = m_cache.find(key);
    if (it == m_cache.end()) {
        if (m_cache.size() >= m_maxCached) {
            // Beyond the cache: matched each time, its values not tracked (counted).
            if (entryFor(topic).matched)
                m_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        it = m_cache.emplace(std::string(key), entryFor(topic)).first;
    }
    TopicEntry &entry = it->second;
    if (entry.slots.empty()) {
        if (entry.matched)
            m_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    fold(entry, payload, receivedAtUs);
}

std::vector<AlertFeed::Sample> AlertFeed::take()
{
    std::vector<Sample> out;
    {
        const std::lock_guard lock(m_mutex);
        for (auto &[topic, entry] : m_cache) {
            for (Slot &s : entry.slots) {
                if (s.count == 0)
                    continue;
                out.push_back({s.rule, m_taps[std::size_t(s.rule)].stale, s.min, s.max, s.last, s.firstUs, s.lastUs,
                               s.count, QString::fromStdString(topic)});
                s.count = 0;
            }
        }
    }
    // In time order, so the evaluator sees topics' changes as they happened.
    std::sort(out.begin(), out.end(), [](const Sample &a, const Sample &b) { return a.firstUs < b.firstUs; });
    return out;
}

} // namespace iot
