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
    m_schedStat.setFileName(QStringLiteral("/proc/thread-self/schedstat"));
    (void)m_schedStat.open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    readSchedStat(m_ranNs, m_waitedNs);
    m_timer.start();
}

void LoopLatency::readSchedStat(qint64 &ranNs, qint64 &waitedNs)
{
    // "<ns on a CPU> <ns runnable, waiting for one> <timeslices>" (Linux). Opened once, by the GUI thread (which
    // "thread-self" then names); every tick reads it again from the start.
    ranNs = waitedNs = -1;
    if (!m_schedStat.isOpen() || !m_schedStat.seek(0))
        return;
    const QList<QByteArray> fields = m_schedStat.read(128).simplified().split(' ');
    if (fields.size() >= 2) {
        ranNs = fields[0].toLongLong();
        waitedNs = fields[1].toLongLong();
    }
}

void LoopLatency::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double late = std::max(0.0, double(now - m_lastNs) / 1e6 - IntervalMs);
    m_lastNs = now;
    qint64 ranNs = -1, waitedNs = -1;
    readSchedStat(ranNs, waitedNs);
    const bool sched = ranNs >= 0 && m_ranNs >= 0;
    const double ranMs = sched ? double(ranNs - m_ranNs) / 1e6 : -1;
    const double waitedMs = sched ? double(waitedNs - m_waitedNs) / 1e6 : -1;
    m_ranNs = ranNs;
    m_waitedNs = waitedNs;
    m_lateMs[std::size_t(m_next)] = late;
    m_next = (m_next + 1) % int(m_lateMs.size());
    m_count = std::min(m_count + 1, int(m_lateMs.size()));
    // The first two seconds hold the window's first show and layout: not what an operator waits for later.
    if (now < 2'000'000'000LL)
        return;
    if (late > m_worstMs || m_ticks == 0) {
        m_worstMs = late;
        m_worstRanMs = ranMs;
        m_worstWaitedMs = waitedMs;
    }
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
