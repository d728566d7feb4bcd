// SPDX-License-Identifier: MIT
#include "topicfilterproxy.h"

#include "topictreemodel.h"

namespace iot {

TopicFilterProxy::TopicFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setSortRole(TopicTreeModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    // Keeps the tree steady while values change ten times a second; a click on a header sorts once.
    setDynamicSortFilter(false);
}

void TopicFilterProxy::setFilterText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    m_utf8Lower = text.toLower().toUtf8();
    invalidateFilter();
}

bool TopicFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_text.isEmpty())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (index.data(TopicTreeModel::TopicRole).toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    // Payload text is matched as bytes: no decoding per row.
    const QByteArray payload = index.data(TopicTreeModel::PayloadRole).toByteArray();
    return !payload.isEmpty() && payload.toLower().contains(m_utf8Lower);
}

} // namespace iot
