// SPDX-License-Identifier: MIT
#include "observability/eventjournal.h"

namespace iot {
namespace {

/// Ids are consecutive, so the first entry after `afterId` is found by subtraction, not by a search.
template<typename T>
std::vector<T> after(const std::deque<T> &ring, std::uint64_t afterId, std::size_t limit)
{
    std::vector<T> out;
    if (ring.empty() || afterId >= ring.back().id)
        return out;
    const std::size_t start = afterId < ring.front().id ? 0 : std::size_t(afterId - ring.front().id + 1);
    for (std::size_t i = start; i < ring.size() && out.size() < limit; ++i)
        out.push_back(ring[i]);
    return out;
}

} // namespace

EventJournal::EventJournal(std::size_t maxEvents, std::size_t maxDeadLetters)
    : m_maxEvents(maxEvents), m_maxDeadLetters(maxDeadLetters)
{
}

void EventJournal::addEvent(std::int64_t timeUs, const QString &source, const QString &state, const QString &detail)
{
    m_events.push_back({m_nextEventId++, timeUs, source, state, detail});
    while (m_events.size() > m_maxEvents)
        m_events.pop_front();
}

void EventJournal::addDeadLetter(std::int64_t receivedAtUs, const QByteArray &topic, const QString &reason,
                                 const QByteArray &payloadPreview)
{
    m_deadLetters.push_back({m_nextDeadLetterId++, receivedAtUs, topic, reason, payloadPreview});
    while (m_deadLetters.size() > m_maxDeadLetters)
        m_deadLetters.pop_front();
}

std::vector<JournalEvent> EventJournal::eventsAfter(std::uint64_t afterId, std::size_t limit) const
{
    return after(m_events, afterId, limit);
}

std::vector<JournalDeadLetter> EventJournal::deadLettersAfter(std::uint64_t afterId, std::size_t limit) const
{
    return after(m_deadLetters, afterId, limit);
}

} // namespace iot
