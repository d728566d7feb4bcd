// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace iot {

/// Tells a broker that keeps taking our session over (another live client with our client id: two instances on
/// machines cloned from one image share the host name the default id is made of) from an ordinary flaky network:
/// MQTT 5 says so (DISCONNECT reason 0x8E), MQTT 3.1.1 only shows sessions that end again and again right after
/// they began. Pure logic with the clock passed in; owned by MqttClient on the ingest thread.
class SessionTakeover final
{
public:
    /// A session that ends sooner than this after its CONNACK counts as a short one.
    static constexpr std::int64_t ShortSessionUs = 10'000'000;
    /// Short sessions in a row before a 3.1.1 loss reads as a takeover.
    static constexpr int ShortSessionsToSuspect = 3;
    static constexpr int SessionTakenOverReason = 0x8E;

    void connected(std::int64_t nowUs);
    /// The session ended; `reasonCode` is the MQTT 5 DISCONNECT reason (or libmosquitto's error code). True when
    /// this loss starts a suspicion (the caller warns once per suspicion).
    bool lost(std::int64_t nowUs, int reasonCode);
    /// The session has lasted ShortSessionUs: whoever took it over is gone (or never was).
    void settled();

    bool suspected() const { return m_suspected; }
    /// Short sessions in a row so far (the count the warning and the snapshot carry).
    int shortSessions() const { return m_short; }
    /// The broker said so (0x8E) at least once in this suspicion.
    bool brokerSaidSo() const { return m_brokerSaid; }

private:
    std::int64_t m_connectedUs = -1;
    int m_short = 0;
    bool m_suspected = false;
    bool m_brokerSaid = false;
};

} // namespace iot
