// SPDX-License-Identifier: MIT
#include "mqtt/heldmessages.h"

#include <algorithm>

namespace iot {

namespace {
// What one held message costs besides its bytes (the two QByteArray headers and the deque slot), so that a flood
// of empty messages is bounded too.
constexpr std::int64_t OverheadBytes = 96;
} // namespace

void HeldMessages::add(QByteArrayView topic, QByteArrayView payload, int qos)
{
    m_messages.push_back({topic.toByteArray(), payload.toByteArray(), qos});
    m_bytes += topic.size() + payload.size() + OverheadBytes;
}

bool HeldMessages::takeFirst(QByteArray &topic, QByteArray &payload)
{
    if (m_messages.empty())
        return false;
    Message &m = m_messages.front();
    topic = std::move(m.topic);
    payload = std::move(m.payload);
    m_bytes -= topic.size() + payload.size() + OverheadBytes;
    m_messages.pop_front();
    return true;
}

std::size_t HeldMessages::dropUnacknowledged()
{
    for (const Message &m : m_messages)
        if (m.qos == 1)
            m_bytes -= m.topic.size() + m.payload.size() + OverheadBytes;
    const auto kept = std::remove_if(m_messages.begin(), m_messages.end(), [](const Message &m) { return m.qos == 1; });
    const auto dropped = std::size_t(m_messages.end() - kept);
    m_messages.erase(kept, m_messages.end());
    return dropped;
}

} // namespace iot
