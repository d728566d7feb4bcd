// SPDX-License-Identifier: MIT
#include "deadlettermodel.h"

#include "plaintext.h"

#include "statustext.h"

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
        case TimeColumn: text = StatusText::clock(d.receivedAtUs); break;
        case TopicColumn: text = QString::fromUtf8(d.topic); break;
        case ReasonColumn: text = d.reason; break;
        default: return {};
        }
        // Views draw DisplayRole as plain text; tooltips would take a topic that looks like HTML as rich text.
        return role == Qt::ToolTipRole ? PlainText::toolTip(text) : text;
    }
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
