// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QFile>
#include <QObject>
#include <QTimer>

#include <array>

namespace iot {

/// Measures how late the GUI thread's event loop runs a 100 ms timer — the delay an operator's click would see —
/// over the last ten seconds. Lives on the GUI thread; costs one timer event every 100 ms.
class LoopLatency final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoopLatency)
public:
    explicit LoopLatency(QObject *parent = nullptr);

    /// Worst lateness in the window, in ms.
    double maxMs() const;
    /// 99th percentile (of 100 samples: the second worst).
    double p99Ms() const;
    int samples() const { return m_count; }
    /// Worst lateness since start (ms; the first 2 s of start-up left out), and how many ticks were later than 50 ms.
    double worstMs() const { return m_worstMs; }
    /// In the interval that ended with the worst delay: how long the GUI thread ran (our own work: refreshes,
    /// painting) and how long it was runnable but waiting for a CPU (other threads and processes had them), from
    /// /proc/thread-self/schedstat; -1 where that is not available.
    double worstRanMs() const { return m_worstRanMs; }
    double worstWaitedMs() const { return m_worstWaitedMs; }
    quint64 lateTicks() const { return m_lateTicks; }
    quint64 ticks() const { return m_ticks; }

    static constexpr int IntervalMs = 100;

private:
    void tick();

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    std::array<double, 100> m_lateMs{};
    int m_next = 0;
    int m_count = 0;
    double m_worstMs = 0;
    double m_worstRanMs = -1;
    double m_worstWaitedMs = -1;
    qint64 m_ranNs = -1;      // schedstat at the previous tick
    qint64 m_waitedNs = -1;
    QFile m_schedStat;
    void readSchedStat(qint64 &ranNs, qint64 &waitedNs);
    quint64 m_lateTicks = 0;
    quint64 m_ticks = 0;
};

} // namespace iot
