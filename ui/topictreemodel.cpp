// SPDX-License-Identifier: MIT
#include "topictreemodel.h"

#include "plaintext.h"

#include "icons.h"
#include "jsontext.h"
#include "statustext.h"

#include <QApplication>
#include <QPalette>

#include <algorithm>
#include <cmath>

namespace iot {

TopicTreeModel::TopicTreeModel(QObject *parent) : QAbstractItemModel(parent), m_staleIcon(Icons::stale())
{
    m_nodes.emplace_back();   // the root
    m_dirtyRange.emplace_back(-1, -1);
}

TopicTreeModel::~TopicTreeModel() = default;

int TopicTreeModel::find(const QString &topic) const
{
    int node = 0;
    qsizetype from = 0;
    for (int depth = 1; node >= 0; ++depth) {
        const qsizetype slash = depth < MaxDepth ? topic.indexOf(QLatin1Char('/'), from) : -1;
        node = m_child.value({node, slash < 0 ? topic.mid(from) : topic.mid(from, slash - from)}, -1);
        if (slash < 0)
            break;
        from = slash + 1;
    }
    return node;
}

int TopicTreeModel::ensure(const QString &topic, std::vector<int> &grown)
{
    int parent = 0;
    qsizetype from = 0;
    for (int depth = 1;; ++depth) {
        const qsizetype slash = depth < MaxDepth ? topic.indexOf(QLatin1Char('/'), from) : -1;
        const QString name = slash < 0 ? topic.mid(from) : topic.mid(from, slash - from);
        int node = m_child.value({parent, name}, -1);
        if (node < 0) {
            node = int(m_nodes.size());
            Node n;
            n.parent = parent;
            n.row = int(m_nodes[std::size_t(parent)].children.size());
            n.name = name;
            m_nodes.push_back(std::move(n));
            m_dirtyRange.emplace_back(-1, -1);
            m_nodes[std::size_t(parent)].children.push_back(node);
            m_child.insert({parent, name}, node);
            grown.push_back(parent);
        }
        if (slash < 0)
            return node;
        parent = node;
        from = slash + 1;
    }
}

QString TopicTreeModel::pathOf(int node) const
{
    // Built when asked for (tooltip, filter, selection): storing every prefix made a topic of n levels cost O(n²).
    std::vector<int> chain;
    qsizetype size = 0;
    for (int a = node; a > 0; a = m_nodes[std::size_t(a)].parent) {
        chain.push_back(a);
        size += m_nodes[std::size_t(a)].name.size() + 1;
    }
    QString path;
    path.reserve(size);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (it != chain.rbegin())
            path += QLatin1Char('/');
        path += m_nodes[std::size_t(*it)].name;
    }
    return path;
}

void TopicTreeModel::apply(const std::vector<TopicSample> &changes, qint64 nowUs, qint64 graceUs)
{
    m_nowUs = nowUs;
    m_graceUs = graceUs;
    if (changes.empty())
        return;

    // 1. Create the nodes of new topics, not yet visible to views.
    std::vector<int> grown;
    for (const TopicSample &s : changes) {
        if (s.id >= m_nodeOfStat.size())
            m_nodeOfStat.resize(s.id + 1, -1);
        if (m_nodeOfStat[s.id] < 0)
            m_nodeOfStat[s.id] = ensure(QString::fromUtf8(s.topic), grown);
    }

    // 2. Announce them: one insertion per parent, parents first (a parent's index is below its children's).
    std::sort(grown.begin(), grown.end());
    grown.erase(std::unique(grown.begin(), grown.end()), grown.end());
    for (const int p : grown) {
        Node &parent = m_nodes[std::size_t(p)];
        const int first = parent.visibleChildren;
        const int last = int(parent.children.size()) - 1;
        if (last < first)
            continue;
        beginInsertRows(indexOfNode(p), first, last);
        parent.visibleChildren = last + 1;
        endInsertRows();
    }

    // 3. Values, summed up the ancestors; the rows that changed are announced per parent.
    for (const TopicSample &s : changes) {
        const int id = m_nodeOfStat[s.id];
        Node &n = m_nodes[std::size_t(id)];
        const quint64 before = n.isTopic ? n.sample.count : 0;
        if (!n.isTopic)
            ++m_topicCount;
        n.isTopic = true;
        n.sample = s;
        const quint64 added = s.count - before;
        for (int a = id; a > 0; a = m_nodes[std::size_t(a)].parent) {
            Node &x = m_nodes[std::size_t(a)];
            x.count += added;
            x.lastSeenUs = std::max<qint64>(x.lastSeenUs, s.lastSeenUs);
            markChanged(a);
        }
    }
    emitChanged(CountColumn, LastSeenColumn);
}

void TopicTreeModel::refreshTimes(qint64 nowUs, qint64 graceUs)
{
    m_nowUs = nowUs;
    m_graceUs = graceUs;
    std::vector<double> rate(m_nodes.size(), 0.0);
    std::vector<int> stale(m_nodes.size(), 0);
    int staleTopics = 0;
    // Children have higher indexes than their parents: one pass from the end sums everything upwards.
    for (std::size_t i = m_nodes.size() - 1; i > 0; --i) {
        Node &n = m_nodes[i];
        if (n.isTopic) {
            rate[i] += n.sample.ratePerSec(nowUs, graceUs);
            if (n.sample.isStale(nowUs, graceUs)) {
                ++stale[i];
                ++staleTopics;
            }
        }
        const bool changed = std::abs(rate[i] - n.rate) > 1e-9 * std::max(1.0, n.rate) || stale[i] != n.staleBelow;
        n.rate = rate[i];
        n.staleBelow = stale[i];
        rate[std::size_t(n.parent)] += rate[i];
        stale[std::size_t(n.parent)] += stale[i];
        if (changed)
            markChanged(int(i));
    }
    m_staleTopics = staleTopics;
    emitChanged(TopicColumn, LastSeenColumn);
}

void TopicTreeModel::markChanged(int node)
{
    const Node &n = m_nodes[std::size_t(node)];
    auto &range = m_dirtyRange[std::size_t(n.parent)];
    if (range.first < 0) {
        m_dirtyParents.push_back(n.parent);
        range = {n.row, n.row};
    } else {
        range.first = std::min(range.first, n.row);
        range.second = std::max(range.second, n.row);
    }
}

void TopicTreeModel::emitChanged(int firstColumn, int lastColumn)
{
    for (const int p : m_dirtyParents) {
        auto &range = m_dirtyRange[std::size_t(p)];
        const QModelIndex parent = indexOfNode(p);
        Q_EMIT dataChanged(index(range.first, firstColumn, parent), index(range.second, lastColumn, parent));
        range = {-1, -1};
    }
    m_dirtyParents.clear();
}

QModelIndex TopicTreeModel::indexOfNode(int node, int column) const
{
    if (node <= 0)
        return {};
    return createIndex(m_nodes[std::size_t(node)].row, column, quintptr(node));
}

QModelIndex TopicTreeModel::indexOfTopic(const QString &topic) const
{
    const int node = find(topic);
    if (node <= 0 || m_nodes[std::size_t(node)].row >= m_nodes[std::size_t(m_nodes[std::size_t(node)].parent)].visibleChildren)
        return {};
    return indexOfNode(node);
}

const TopicSample *TopicTreeModel::sample(const QModelIndex &index) const
{
    if (!index.isValid())
        return nullptr;
    const Node &n = m_nodes[std::size_t(index.internalId())];
    return n.isTopic ? &n.sample : nullptr;
}

double TopicTreeModel::rate(const QModelIndex &index) const
{
    return index.isValid() ? m_nodes[std::size_t(index.internalId())].rate : 0.0;
}

QModelIndex TopicTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0 || (parent.isValid() && parent.column() != 0))
        return {};
    const int p = parent.isValid() ? int(parent.internalId()) : 0;
    const Node &n = m_nodes[std::size_t(p)];
    if (row >= n.visibleChildren)
        return {};
    return createIndex(row, column, quintptr(n.children[std::size_t(row)]));
}

QModelIndex TopicTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOfNode(m_nodes[std::size_t(child.internalId())].parent);
}

int TopicTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return m_nodes[std::size_t(parent.isValid() ? parent.internalId() : 0)].visibleChildren;
}

int TopicTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QString TopicTreeModel::lastSeenText(const Node &n) const
{
    QString text = StatusText::clock(n.lastSeenUs);
    // Short: the tooltip says for how long and compared with what.
    if (n.isTopic && n.sample.stored)
        text += QStringLiteral(" · stored");
    else if (n.isTopic && n.sample.isStale(m_nowUs, m_graceUs))
        text += QStringLiteral(" · stale");
    else if (n.staleBelow > 0)
        text += QStringLiteral(" · %1 stale below").arg(n.staleBelow);
    return text;
}

QVariant TopicTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Node &n = m_nodes[std::size_t(index.internalId())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TopicColumn: return n.name.isEmpty() ? QStringLiteral("(empty)") : n.name;
        case CountColumn: return StatusText::count(n.count);
        case RateColumn: return n.count ? StatusText::rate(n.rate) : QString();
        case ValueColumn:
            if (!n.isTopic)
                return QString();
            if (n.previewVersion != n.sample.version) {
                // Parsed when shown, not when received: only visible rows cost anything.
                n.preview = JsonText::preview(n.sample.lastPayload);
                n.previewVersion = n.sample.version;
            }
            return n.preview;
        case LastSeenColumn: return lastSeenText(n);
        }
        break;
    case Qt::DecorationRole:
        if (column == TopicColumn && n.staleBelow > 0)
            return m_staleIcon;
        break;
    case Qt::ToolTipRole: {
        QString tip = pathOf(int(index.internalId()));
        if (n.isTopic) {
            tip += QStringLiteral("\n%1 readings stored; latest payload %2 bytes")
                       .arg(StatusText::count(n.sample.count))
                       .arg(n.sample.payloadSize);
            if (n.sample.stored)
                tip += QStringLiteral("\nFrom the database (its readings of the last 24 hours): no live message "
                                      "since the start");
            if (n.sample.intervalUs > 0)
                tip += QStringLiteral("\nusually every %1").arg(StatusText::duration(qint64(n.sample.intervalUs)));
            if (n.sample.isStale(m_nowUs, m_graceUs))
                tip += QStringLiteral("\nStale: silent for %1, more than 3× its usual interval")
                           .arg(StatusText::duration(m_nowUs - n.sample.lastSeenUs));
        } else if (n.staleBelow > 0) {
            tip += QStringLiteral("\n%1 stale topics below").arg(n.staleBelow);
        }
        return PlainText::toolTip(tip);  // the path is a topic: never rich text
    }
    case Qt::ForegroundRole:
        // Stored, not live: greyed until a message arrives.
        if (n.isTopic && n.sample.stored)
            return QApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        break;
    case StoredRole: return n.isTopic && n.sample.stored;
    case Qt::AccessibleTextRole:
        if (column == TopicColumn)
            return n.staleBelow > 0 ? n.name + QStringLiteral(" (stale)") : n.name;
        break;
    case Qt::TextAlignmentRole:
        if (column == CountColumn || column == RateColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case TopicRole: return pathOf(int(index.internalId()));
    case PayloadRole: return n.isTopic ? n.sample.lastPayload : QByteArray();
    case PayloadSizeRole: return n.isTopic ? int(n.sample.payloadSize) : 0;
    case StaleRole: return n.staleBelow > 0;
    case IsTopicRole: return n.isTopic;
    case VersionRole: return n.isTopic ? qulonglong(n.sample.version) : qulonglong(0);
    case SortRole:
        switch (column) {
        case TopicColumn: return n.name.toLower();
        case CountColumn: return qulonglong(n.count);
        case RateColumn: return n.rate;
        case ValueColumn: return data(index, Qt::DisplayRole);
        case LastSeenColumn: return qlonglong(n.lastSeenUs);
        }
        break;
    default: break;
    }
    return {};
}

QVariant TopicTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TopicColumn: return tr("Topic");
    case CountColumn: return tr("Stored");
    case RateColumn: return tr("Rate");
    case ValueColumn: return tr("Last value");
    case LastSeenColumn: return tr("Last seen");
    }
    return {};
}

} // namespace iot
