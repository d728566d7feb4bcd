// SPDX-License-Identifier: MIT
#include "alerts/alertfeed.h"

#include "export/topicfilters.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace iot {

AlertFeed::AlertFeed(const QList<AlertRule> &rules, std::size_t maxSamples, std::size_t maxCachedTopics)
    : m_maxCached(maxCachedTopics), m_maxSamples(maxSamples), m_folded(std::size_t(rules.size()))
{
    for (const AlertRule &r : rules) {
        RuleTap tap;
        if (r.kind == AlertRule::Kind::Value || r.kind == AlertRule::Kind::Stale) {
            tap.filter = r.topic;
            tap.stale = r.kind == AlertRule::Kind::Stale;
            tap.wholePayload = r.kind == AlertRule::Kind::Value && r.pointer.isEmpty();
            tap.pointer = JsonPointer(r.pointer);
        }
        m_taps.push_back(std::move(tap));
    }
}

std::vector<int> AlertFeed::matching(QByteArrayView topic) const
{
    std::vector<int> out;
    const QString text = QString::fromUtf8(topic);
    for (std::size_t i = 0; i < m_taps.size(); ++i)
        if (!m_taps[i].filter.isEmpty() && TopicFilters::matches(m_taps[i].filter, text))
            out.push_back(int(i));
    return out;
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

void AlertFeed::offer(QByteArrayView topic, QByteArrayView payload, qint64 receivedAtUs)
{
    const std::string_view key(topic.data(), std::size_t(topic.size()));
    const std::vector<int> *rules = nullptr;
    std::vector<int> uncached;
    if (auto it = m_cache.find(key); it != m_cache.end()) {
        rules = &it->second;
    } else if (m_cache.size() < m_maxCached) {
        rules = &m_cache.emplace(std::string(key), matching(topic)).first->second;
    } else {
        uncached = matching(topic);
        rules = &uncached;
    }
    if (rules->empty())
        return;

    const std::lock_guard lock(m_mutex);
    for (int rule : *rules) {
        const RuleTap &tap = m_taps[std::size_t(rule)];
        double value = 0;
        if (!tap.stale) {
            QByteArrayView text;
            if (tap.wholePayload)
                text = payload;
            else if (tap.pointer.resolve(payload, text) != JsonPointer::Result::Found)
                text = {};
            if (text.isEmpty() || !parseNumber(text, value)) {
                m_unreadable.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
        }
        FoldMap &map = m_folded[std::size_t(rule)];
        auto it = map.find(key);
        if (it == map.end()) {
            if (m_foldedCount >= m_maxSamples) {
                m_dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            it = map.emplace(std::string(key), Folded{value, value, value, receivedAtUs, receivedAtUs, 0}).first;
            ++m_foldedCount;
        }
        Folded &f = it->second;
        f.min = std::min(f.min, value);
        f.max = std::max(f.max, value);
        f.last = value;
        f.lastUs = receivedAtUs;
        ++f.count;
    }
}

std::vector<AlertFeed::Sample> AlertFeed::take()
{
    std::vector<FoldMap> folded(m_folded.size());
    {
        const std::lock_guard lock(m_mutex);
        folded.swap(m_folded);
        m_foldedCount = 0;
    }
    std::vector<Sample> out;
    for (std::size_t rule = 0; rule < folded.size(); ++rule) {
        for (const auto &[topic, f] : folded[rule])
            out.push_back({int(rule), m_taps[rule].stale, f.min, f.max, f.last, f.firstUs, f.lastUs, f.count,
                           QString::fromStdString(topic)});
    }
    // In time order, so the evaluator sees topics' changes as they happened.
    std::sort(out.begin(), out.end(), [](const Sample &a, const Sample &b) { return a.firstUs < b.firstUs; });
    return out;
}

} // namespace iot
