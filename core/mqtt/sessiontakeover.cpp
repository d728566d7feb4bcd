// SPDX-License-Identifier: MIT
#include "mqtt/sessiontakeover.h"

namespace iot {

void SessionTakeover::connected(std::int64_t nowUs)
{
    m_connectedUs = nowUs;
}

bool SessionTakeover::lost(std::int64_t nowUs, int reasonCode)
{
    const bool wasConnected = m_connectedUs >= 0;
    const bool isShort = wasConnected && nowUs - m_connectedUs < ShortSessionUs;
    m_connectedUs = -1;
    if (!wasConnected)
        return false;  // a failed attempt, not a session that ended
    if (!isShort && reasonCode != SessionTakenOverReason) {
        settled();
        return false;
    }
    ++m_short;
    m_brokerSaid = m_brokerSaid || reasonCode == SessionTakenOverReason;
    const bool before = m_suspected;
    m_suspected = m_brokerSaid || m_short >= ShortSessionsToSuspect;
    return m_suspected && !before;
}

void SessionTakeover::settled()
{
    m_short = 0;
    m_suspected = false;
    m_brokerSaid = false;
}

} // namespace iot
