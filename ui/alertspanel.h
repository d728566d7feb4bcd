// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace iot {

/// The Alerts tab: the [[alerts]] instances firing now (rule, topic, severity, since, value) and the history of
/// fires and resolves, newest first (at most `capacity`). Fed by Engine::alertChanged; lives on the GUI thread.
class AlertsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsPanel)
public:
    explicit AlertsPanel(QWidget *parent = nullptr, int capacity = 2000);

    void addEvent(const iot::AlertEvent &event);
    /// Events of earlier runs (AlertHistory), oldest first: added to the history marked "stored", never as firing
    /// (after a restart every rule starts inactive).
    void addStored(const QList<AlertEvent> &events);
    /// Forget everything (a restart with another configuration), then show what fires now.
    void reset(const QList<AlertEvent> &firing);
    void setRuleCount(int rules);

    int firingCount() const;
    int historyCount() const;
    /// Columns of firing row `row` / history row `row` (0 = newest), joined by " | ".
    QString firingText(int row) const;
    QString historyText(int row) const;

Q_SIGNALS:
    void firingCountChanged(int firing);

private:
    QLabel *m_summary = nullptr;
    QTreeWidget *m_firing = nullptr;
    QTreeWidget *m_history = nullptr;
    int m_capacity;
    int m_rules = 0;
    void updateSummary();
    void addFiringRow(const AlertEvent &event);
};

} // namespace iot
