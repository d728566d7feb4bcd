// SPDX-License-Identifier: MIT
#pragma once

#include "remoteinstance.h"

#include <QElapsedTimer>
#include <QWidget>

#include <memory>
#include <vector>

class QTableWidget;

namespace iot {

/// The site summary of the fleet view: one sortable row per remote instance (name, health pill, throughput,
/// backlog, dead letters per minute, counters), refreshed from each RemoteInstance's polls; stale figures are marked
/// stale, never shown as current. Read only. Lives on the GUI thread.
class InstancesPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstancesPanel)
public:
    enum Column { NameColumn, HealthColumn, ThroughputColumn, BacklogColumn, DeadPerMinColumn, ReceivedColumn,
                  WrittenColumn, ProblemColumn, ColumnCount };

    explicit InstancesPanel(QWidget *parent = nullptr);
    ~InstancesPanel() override;

    /// Starts watching `url` with `token` (empty: none); returns the instance (owned by the panel).
    RemoteInstance *addInstance(const QUrl &url, const QByteArray &token);
    int instanceCount() const { return int(m_rows.size()); }
    RemoteInstance *instance(int i) const { return m_rows[std::size_t(i)].remote.get(); }
    /// The worst health of all (unreachable counts as worst): what a tray icon shows.
    RemoteInstance::Health worstHealth() const;
    QTableWidget *table() const { return m_table; }

private:
    struct Row
    {
        std::unique_ptr<RemoteInstance> remote;
        QElapsedTimer sampleClock;   // for dead letters per minute: the previous sample
        qint64 sampleDead = -1;
        double deadPerMin = 0;
    };
    void refresh(Row &row);

    QTableWidget *m_table = nullptr;
    std::vector<Row> m_rows;
};

} // namespace iot
