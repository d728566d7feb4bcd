// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <cstdint>
#include <deque>

namespace iot {

/// Messages read from the broker while reading is paused, not yet acknowledged, kept in arrival order until it
/// resumes. Bounded in bytes. Plain value class, owned by MqttClient on the ingest thread.
class HeldMessages final
{
public:
    explicit HeldMessages(std::int64_t maxBytes) : m_maxBytes(maxBytes) {}

    /// Keeps a copy. Always takes it (the library has read it already); full() says when to stop reading.
    void add(QByteArrayView topic, QByteArrayView payload, int qos);
    /// The first held message, removed; false when none is held.
    bool takeFirst(QByteArray &topic, QByteArray &payload);
    /// The connection ended: QoS 1 messages come again from the broker's session, so they are dropped here. QoS 0
    /// (never sent again) and QoS 2 (libmosquitto hands it out once its exchange is done) stay. Returns how many.
    std::size_t dropUnacknowledged();

    bool isEmpty() const { return m_messages.empty(); }
    std::size_t count() const { return m_messages.size(); }
    std::int64_t bytes() const { return m_bytes; }
    bool full() const { return m_bytes >= m_maxBytes; }

private:
    struct Message
    {
        QByteArray topic;
        QByteArray payload;
        int qos = 0;
    };
    std::int64_t m_maxBytes;
    std::int64_t m_bytes = 0;
    std::deque<Message> m_messages;
};

} // namespace iot
