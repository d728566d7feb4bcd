// SPDX-License-Identifier: MIT
#pragma once

#include <QSortFilterProxyModel>

namespace iot {

/// Filters the topic tree by text found in a topic's name or in its latest payload (case-insensitive), keeping the
/// ancestors of matches; sorts by the model's SortRole. Lives on the GUI thread.
class TopicFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopicFilterProxy)
public:
    explicit TopicFilterProxy(QObject *parent = nullptr);

    void setFilterText(const QString &text);
    QString filterText() const { return m_text; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    QByteArray m_utf8Lower;
};

} // namespace iot
