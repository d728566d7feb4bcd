// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <deque>
#include <vector>

namespace iot {

/// One step of the connection timeline: which side ("mqtt", "database"), its state name and the one-line detail.
struct JournalEvent
{
    std::uint64_t id = 0;
    std::int64_t timeUs = 0;
    QString source;
    QString state;
    QString detail;
};

/// One dead letter as the writer reported it (at most 20 per batch are reported; all are counted).
struct JournalDeadLetter
{
    std::uint64_t id = 0;
    std::int64_t receivedAtUs = 0;
    QByteArray topic;
    QString reason;
    QByteArray payloadPreview;   // the payload's first bytes
};

/// The recent connection events and dead letters the status API serves, each numbered from 1 in arrival order so a
/// client asks only for what came after the last id it saw. Bounded: the oldest go first. Main thread only.
class EventJournal final
{
public:
    explicit EventJournal(std::size_t maxEvents = 500, std::size_t maxDeadLetters = 1000);

    void addEvent(std::int64_t timeUs, const QString &source, const QString &state, const QString &detail);
    void addDeadLetter(std::int64_t receivedAtUs, const QByteArray &topic, const QString &reason,
                       const QByteArray &payloadPreview);

    /// Up to `limit` entries with an id above `afterId`, oldest first.
    std::vector<JournalEvent> eventsAfter(std::uint64_t afterId, std::size_t limit) const;
    std::vector<JournalDeadLetter> deadLettersAfter(std::uint64_t afterId, std::size_t limit) const;
    std::uint64_t lastEventId() const { return m_events.empty() ? 0 : m_events.back().id; }
    std::uint64_t lastDeadLetterId() const { return m_deadLetters.empty() ? 0 : m_deadLetters.back().id; }

private:
    std::size_t m_maxEvents;
    std::size_t m_maxDeadLetters;
    std::uint64_t m_nextEventId = 1;
    std::uint64_t m_nextDeadLetterId = 1;
    std::deque<JournalEvent> m_events;
    std::deque<JournalDeadLetter> m_deadLetters;
};

} // namespace iot
