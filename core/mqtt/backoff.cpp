// SPDX-License-Identifier: MIT
#include "mqtt/backoff.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace iot {

Backoff::Backoff(double baseSec, double maxSec, double jitterFraction, std::function<double()> random01)
    : m_baseSec(baseSec), m_maxSec(std::max(baseSec, maxSec)), m_jitter(jitterFraction), m_random(std::move(random01))
{
    if (!m_random)
        m_random = [] { return QRandomGenerator::global()->generateDouble(); };
}

int Backoff::nextDelayMs()
{
    // Exponent capped so the multiplication cannot overflow however long the outage.
    const double raw = m_baseSec * std::pow(2.0, std::min(m_attempt, 30));
    const double capped = std::min(raw, m_maxSec);
    const double factor = 1.0 + m_jitter * (2.0 * m_random() - 1.0);
    ++m_attempt;
    return std::max(1, static_cast<int>(std::lround(capped * factor * 1000.0)));
}

} // namespace iot
