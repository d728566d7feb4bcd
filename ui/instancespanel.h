// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "remoteinstance.h"
#include "statustext.h"

#include <QElapsedTimer>
#include <QWidget>

#include <memory>
#include <vector>

class QTableWidget;

namespace iot {

/// The site summary of the fleet view: one sortable row per instance — "this computer" (when a local engine runs)
/// and each remote (name, health pill, throughput, backlog, dead letters per minute, counters), refreshed from the
/// local snapshots and each RemoteInstance's polls; stale figures are marked stale, never shown as current. Read
/// only. Lives on the GUI thread.
class InstancesPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstancesPanel)
public:
    enum Column { NameColumn, HealthColumn, ThroughputColumn, BacklogColumn, DeadPerMinColumn, ReceivedColumn,
                  WrittenColumn, ProblemColumn, ColumnCount };
    /// The name cell's roles that find a row after sorting: its RemoteInstance (null for this computer).
    static constexpr int InstanceRole = Qt::UserRole + 1;
    static constexpr int LocalRole = Qt::UserRole + 2;

    explicit InstancesPanel(QWidget *parent = nullptr);
    ~InstancesPanel() override;

    /// Starts watching `url` with `token` (empty: none), shown as `name` when given; returns the instance (owned by
    /// the panel).
    RemoteInstance *addInstance(const QUrl &url, const QByteArray &token, const QString &name = {});
    /// Stops watching `remote` and deletes it (instanceRemoved() first, so views can let go of it).
    void removeInstance(RemoteInstance *remote);
    /// Shows `remote` as `name` from now on (empty: the instance's own name).
    void renameInstance(RemoteInstance *remote, const QString &name);
    int instanceCount() const { return int(m_rows.size()); }
    RemoteInstance *instance(int i) const { return m_rows[std::size_t(i)].remote.get(); }
    /// The remote shown in `row` of the table (null for this computer's row or none).
    RemoteInstance *instanceAt(int row) const;
    /// Selects `remote`'s row (null: this computer's), which emits instanceActivated() / localActivated().
    void selectInstance(const RemoteInstance *remote);
    /// This computer's row: shown while `present`, from the local engine's snapshot and the window's own verdict.
    void setLocal(bool present, const EngineSnapshot &s = {}, StatusLevel level = StatusLevel::Off,
                  const QString &words = {});
    bool hasLocal() const { return m_localPresent; }
    /// This computer's engine turned off by the operator: its row says "off" and is no problem (worstLevel() leaves
    /// it out), so the tray shows the remote instances' state.
    void setLocalOff(bool off);
    bool isLocalOff() const { return m_localOff; }
    /// The worst health of the remotes (unreachable counts as worst).
    RemoteInstance::Health worstHealth() const;
    /// The worst state of all (this computer and the remotes; unreachable counts as worst), as the tray shows it.
    StatusLevel worstLevel() const;
    static StatusLevel levelOf(RemoteInstance::Health health);
    /// For ranking states: Ok < Busy/Paused < Warning < Error < Off (unreachable / stopped).
    static int severity(StatusLevel level);
    QTableWidget *table() const { return m_table; }

Q_SIGNALS:
    /// A remote's row was selected or activated.
    void instanceActivated(iot::RemoteInstance *instance);
    /// This computer's row was selected or activated.
    void localActivated();
    /// A remote's row was double-clicked (the window offers to edit it).
    void instanceDoubleClicked(iot::RemoteInstance *instance);
    void instanceRemoved(iot::RemoteInstance *instance);
    /// Any row changed (the worst state may have).
    void changed();

private:
    struct Rate
    {
        QElapsedTimer sampleClock;   // dead letters per minute: the previous sample
        qint64 sampleDead = -1;
        double deadPerMin = 0;
        void sample(qint64 dead);
    };
    struct Row
    {
        std::unique_ptr<RemoteInstance> remote;
        Rate rate;
    };
    struct Cells
    {
        QString name, tooltip, health;
        int severity = 0;
        StatusLevel level = StatusLevel::Off;
        bool stale = false;
        double writtenPerSec = 0;
        qint64 backlog = -1, received = -1, written = -1;
        double deadPerMin = 0;
        QString problem;
    };
    void refresh(Row &row);
    void refreshLocal();
    int rowOf(const RemoteInstance *remote) const;   // -1: none; null: this computer's row
    void fill(int r, const Cells &c);
    void emitSelection();

    QTableWidget *m_table = nullptr;
    std::vector<Row> m_rows;
    bool m_localPresent = false;
    bool m_localOff = false;
    EngineSnapshot m_local;
    StatusLevel m_localLevel = StatusLevel::Off;
    QString m_localWords;
    Rate m_localRate;
};

} // namespace iot
