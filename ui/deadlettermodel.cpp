// SPDX-License-Identifier: MIT
#include "deadlettermodel.h"

#include "plaintext.h"

#include "statustext.h"

#include <QColor>

#include <algorithm>

namespace iot {

DeadLetterModel::DeadLetterModel(int capacity, QObject *parent) : QAbstractTableModel(parent), m_capacity(capacity) {}

void DeadLetterModel::add(const std::vector<DeadLetter> &batch)
{
    if (batch.empty())
        return;
    const int n = std::min<int>(int(batch.size()), m_capacity);
    const int overflow = int(m_rows.size()) + n - m_capacity;
    if (overflow > 0) {
        beginRemoveRows({}, int(m_rows.size()) - overflow, int(m_rows.size()) - 1);
        m_rows.erase(m_rows.end() - overflow, m_rows.end());
        endRemoveRows();
    }
    beginInsertRows({}, 0, n - 1);
    for (auto it = batch.end() - n; it != batch.end(); ++it)
        m_rows.push_front(*it);
    endInsertRows();
}

int DeadLetterModel::markBeforeRestart(qint64 restartAtUs)
{
    int marked = 0;
    for (DeadLetter &d : m_rows) {
        if (d.beforeRestartAtUs == 0) {
            d.beforeRestartAtUs = restartAtUs;
            ++marked;
        }
    }
    if (marked > 0)
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    return marked;
}

int DeadLetterModel::currentCount() const
{
    // Newest first: the current process's rows are on top, above the first marked one.
    const auto firstOld = std::find_if(m_rows.begin(), m_rows.end(),
                                       [](const DeadLetter &d) { return d.beforeRestartAtUs != 0; });
    return int(firstOld - m_rows.begin());
}

int DeadLetterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DeadLetterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DeadLetterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const DeadLetter &d = m_rows[std::size_t(index.row())];
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        QString text;
        switch (index.column()) {
        case TimeColumn:
            text = d.beforeRestartAtUs == 0 ? StatusText::clock(d.receivedAtUs)
                                            : tr("%1 (before restart at %2)")
                                                  .arg(StatusText::clock(d.receivedAtUs),
                                                       StatusText::clock(d.beforeRestartAtUs));
            break;
        case TopicColumn: text = QString::fromUtf8(d.topic); break;
        case ReasonColumn: text = d.reason; break;
        default: return {};
        }
        // Views draw DisplayRole as plain text; tooltips would take a topic that looks like HTML as rich text.
        if (role == Qt::ToolTipRole && d.beforeRestartAtUs != 0)
            text += QLatin1Char('\n') + tr("Reported by the instance's previous process (it restarted at %1); the "
                                           "dead-letter table still has it.")
                                            .arg(StatusText::clock(d.beforeRestartAtUs));
        return role == Qt::ToolTipRole ? PlainText::toolTip(text) : text;
    }
    if (role == Qt::ForegroundRole && d.beforeRestartAtUs != 0)
        return QColor(Qt::gray);   // kept for reference, not current
    return {};
}

QVariant DeadLetterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn: return tr("Received");
    case TopicColumn: return tr("Topic");
    case ReasonColumn: return tr("Reason");
    }
    return {};
}

} // namespace iot
