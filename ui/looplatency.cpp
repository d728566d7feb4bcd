// SPDX-License-Identifier: MIT
#include "looplatency.h"

#include <algorithm>

namespace iot {

LoopLatency::LoopLatency(QObject *parent) : QObject(parent)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(IntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LoopLatency::tick);
    m_clock.start();
    m_lastNs = m_clock.nsecsElapsed();
    m_timer.start();
}

void LoopLatency::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double late = std::max(0.0, double(now - m_lastNs) / 1e6 - IntervalMs);
    m_lastNs = now;
    m_lateMs[std::size_t(m_next)] = late;
    m_next = (m_next + 1) % int(m_lateMs.size());
    m_count = std::min(m_count + 1, int(m_lateMs.size()));
    // The first two seconds hold the window's first show and layout: not what an operator waits for later.
    if (now < 2'000'000'000LL)
        return;
    m_worstMs = std::max(m_worstMs, late);
    ++m_ticks;
    if (late > 50)
        ++m_lateTicks;
}

double LoopLatency::maxMs() const
{
    return m_count ? *std::max_element(m_lateMs.begin(), m_lateMs.begin() + m_count) : 0.0;
}

double LoopLatency::p99Ms() const
{
    if (m_count < 2)
        return maxMs();
    std::array<double, 100> sorted = m_lateMs;
    std::sort(sorted.begin(), sorted.begin() + m_count, std::greater<>());
    return sorted[std::size_t(std::max(0, m_count / 100))];
}

} // namespace iot
