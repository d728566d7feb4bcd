// SPDX-License-Identifier: MIT
#pragma once

#include "statustext.h"

#include <QWidget>

class QTreeWidget;

namespace iot {

/// The timeline of what happened to the pipeline: MQTT and database state changes, buffer-full pauses, operator
/// actions and restarts, newest first (at most `capacity` entries). Fed from state-change signals, never per
/// message. Lives on the GUI thread.
class EventTimeline final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventTimeline)
public:
    explicit EventTimeline(QWidget *parent = nullptr, int capacity = 2000);

    void addEvent(qint64 timeUs, const QString &source, StatusLevel level, const QString &text);
    int count() const;
    /// Text of entry `row` (0 = newest): "source: text".
    QString entry(int row) const;

private:
    QTreeWidget *m_list = nullptr;
    int m_capacity;
};

} // namespace iot
