// SPDX-License-Identifier: MIT
#pragma once

#include "observability/commitlatency.h"
#include "enginesnapshot.h"

#include <QHash>
#include <QWidget>

class QLabel;

namespace iot {

/// The pipeline's counters — received, written, dead-lettered, dropped, in flight, reconnects, last commit,
/// receive-to-commit latency p50 / p99 — and the balance received = written + dead-lettered + dropped + in flight,
/// spelled out and checked. Rendered from snapshots. Lives on the GUI thread.
class CountersPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountersPanel)
public:
    explicit CountersPanel(QWidget *parent = nullptr);

    void render(const EngineSnapshot &s, const CommitLatency::Percentiles &latency, qint64 nowUs);

    /// The value shown for a counter, by key: received, written, deadLettered, dropped, inFlight, replayed,
    /// transactions, reconnects, readPauses, lastCommit, latency.
    QString value(const QString &key) const;
    QString balanceText() const;
    bool balanced() const { return m_balanced; }

private:
    QHash<QString, QLabel *> m_values;
    QHash<QString, QLabel *> m_titles;
    QLabel *m_balance = nullptr;
    QLabel *m_balanceCheck = nullptr;
    bool m_balanced = true;
    int m_rows = 0;
};

} // namespace iot
