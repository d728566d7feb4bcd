// SPDX-License-Identifier: MIT
#include "eventtimeline.h"

#include "plaintext.h"

#include "icons.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace iot {

EventTimeline::EventTimeline(QWidget *parent, int capacity) : QWidget(parent), m_capacity(capacity)
{
    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("eventList"));
    m_list->setColumnCount(3);
    m_list->setHeaderLabels({tr("Time"), tr("Source"), tr("Event")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setAccessibleName(tr("Connection events"));
    m_list->header()->resizeSection(0, 160);
    m_list->header()->resizeSection(1, 110);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Connection and pipeline events, newest first:"), this));
    layout->addWidget(m_list);
}

void EventTimeline::addEvent(qint64 timeUs, const QString &source, StatusLevel level, const QString &text)
{
    auto *item = new QTreeWidgetItem({StatusText::clock(timeUs), source, text});
    item->setIcon(1, Icons::state(level));
    item->setToolTip(2, PlainText::toolTip(text));
    item->setData(1, Qt::AccessibleTextRole, QString(source + QStringLiteral(" (") + Icons::stateName(level) + QLatin1Char(')')));
    m_list->insertTopLevelItem(0, item);
    while (m_list->topLevelItemCount() > m_capacity)
        delete m_list->takeTopLevelItem(m_list->topLevelItemCount() - 1);
}

int EventTimeline::count() const
{
    return m_list->topLevelItemCount();
}

QString EventTimeline::entry(int row) const
{
    const QTreeWidgetItem *item = m_list->topLevelItem(row);
    return item ? item->text(1) + QStringLiteral(": ") + item->text(2) : QString();
}

} // namespace iot
