// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>

namespace iot {

/// Reconnect delays: base · 2^attempt, capped, with ±jitter so that many clients cut off together do not come back
/// in lock-step. Plain value class; owned by whichever thread reconnects.
class Backoff final
{
public:
    /// `random01` returns a number in [0, 1); injected so tests are deterministic.
    Backoff(double baseSec, double maxSec, double jitterFraction = 0.2,
            std::function<double()> random01 = {});

    /// The delay before the next attempt, in milliseconds; advances the attempt counter.
    int nextDelayMs();
    void reset() { m_attempt = 0; }
    int attempt() const { return m_attempt; }

private:
    double m_baseSec;
    double m_maxSec;
    double m_jitter;
    std::function<double()> m_random;
    int m_attempt = 0;
};

} // namespace iot
