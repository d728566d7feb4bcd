// SPDX-License-Identifier: MIT
#pragma once
// What mainwindow.cpp and mainwindowfleet.cpp share: the tabs' order and the fleet's settings keys.

#include <QDateTime>
#include <QString>

namespace iot::mainwindow {

enum Tab { OverviewTab, TopicsTab, ProblemsTab, EventsTab, HistoryTab, AlertsTab, InstancesTab };

inline const QString InstancesKey = QStringLiteral("fleet/instances");
inline const QString SelectedInstanceKey = QStringLiteral("fleet/selected");   // the URL of the instance last looked at

inline qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace iot::mainwindow
