// SPDX-License-Identifier: MIT
#pragma once

#include "observability/topicstats.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QIcon>
#include <QPair>

#include <vector>

namespace iot {

/// The topic hierarchy (split on '/') with count, rate, last value and last-seen per node, interior nodes summing
/// what lies below. Grows and changes incrementally from TopicStats pulls: new topics are row insertions under
/// their parent (one per parent per pull), changes are one dataChanged range per parent, never a reset. Memory is
/// linear in topic length: a node keeps its own level's name, full topics are built when asked for, and a topic
/// deeper than MaxDepth levels keeps the rest in its last node. Lives on the GUI thread.
class TopicTreeModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopicTreeModel)
public:
    enum Column { TopicColumn, CountColumn, RateColumn, ValueColumn, LastSeenColumn, ColumnCount };
    enum Role {
        TopicRole = Qt::UserRole + 1,   // QString: the full topic (or prefix) of the node
        PayloadRole,                    // QByteArray: latest payload (topics only; possibly cut, see PayloadSizeRole)
        PayloadSizeRole,                // int: the latest payload's full size
        StaleRole,                      // bool: this topic is stale / something below is
        IsTopicRole,                    // bool: messages arrive on exactly this name
        SortRole,                       // a number or text to sort the column by
        VersionRole,                    // qulonglong: TopicStats version of the latest change
        StoredRole,                     // bool: known from the database at start, no live message since
    };

    /// Levels a topic gets nodes for; the rest ("a/b/...") is the name of the last one.
    static constexpr int MaxDepth = 32;

    explicit TopicTreeModel(QObject *parent = nullptr);
    ~TopicTreeModel() override;

    /// Applies a pull from TopicStats::changesSince(). `graceUs`: how late a reading may reach the statistics anyway
    /// (flush interval plus commit time), so batching does not make topics look stale.
    void apply(const std::vector<TopicSample> &changes, qint64 nowUs, qint64 graceUs);
    /// Recomputes the time-dependent columns (rates, staleness) of every node; about once a second.
    void refreshTimes(qint64 nowUs, qint64 graceUs);

    int topicCount() const { return m_topicCount; }
    int staleCount() const { return m_staleTopics; }
    int nodeCount() const { return int(m_nodes.size()) - 1; }
    QModelIndex indexOfTopic(const QString &topic) const;
    /// The statistics of a topic node, or nullptr for an interior node / invalid index.
    const TopicSample *sample(const QModelIndex &index) const;
    /// Rate and staleness as of the latest refresh.
    double rate(const QModelIndex &index) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node
    {
        int parent = -1;
        int row = 0;                  // index in the parent's children
        int visibleChildren = 0;      // children announced to views; the rest are being inserted
        std::vector<int> children;
        QString name;                 // this level's name only (beyond MaxDepth: the rest of the topic)
        bool isTopic = false;
        TopicSample sample;           // valid when isTopic
        quint64 count = 0;            // own + below
        qint64 lastSeenUs = 0;        // newest own or below
        double rate = 0;              // own + below, as of the latest refresh
        int staleBelow = 0;           // stale topics here and below
        mutable QString preview;      // cached for `previewVersion`
        mutable quint64 previewVersion = 0;
    };

    // The node of `topic`, created with its ancestors (their parents noted in `grown`); find(): -1 when none.
    int ensure(const QString &topic, std::vector<int> &grown);
    int find(const QString &topic) const;
    QString pathOf(int node) const;
    QModelIndex indexOfNode(int node, int column = 0) const;
    void markChanged(int node);
    void emitChanged(int firstColumn, int lastColumn);
    QString lastSeenText(const Node &n) const;

    std::vector<Node> m_nodes;            // [0] is the invisible root; a child's index is above its parent's
    QHash<QPair<int, QString>, int> m_child;   // (parent, name) → node; the key shares the node's name
    std::vector<int> m_nodeOfStat;        // TopicSample::id → node
    std::vector<int> m_dirtyParents;
    std::vector<std::pair<int, int>> m_dirtyRange;   // per node as parent: first/last changed child row
    QIcon m_staleIcon;
    qint64 m_nowUs = 0;
    qint64 m_graceUs = 0;
    int m_topicCount = 0;
    int m_staleTopics = 0;
};

} // namespace iot
