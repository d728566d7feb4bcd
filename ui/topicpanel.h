// SPDX-License-Identifier: MIT
#pragma once

#include "observability/topicstats.h"

#include <QWidget>

#include <vector>

class QLabel;
class QLineEdit;
class QTreeView;

namespace iot {

class TopicDetails;
class TopicFilterProxy;
class TopicTreeModel;

/// The Topics view: a filter box over topic and payload text, the topic tree, and the selected topic's details.
/// refresh() pulls only what changed from TopicStats (a lock-free version check first) at the window's refresh
/// rate. Lives on the GUI thread.
class TopicPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopicPanel)
public:
    explicit TopicPanel(const TopicStats &stats, QWidget *parent = nullptr);

    /// Applies new statistics; time-dependent columns (rate, stale) are recomputed once a second.
    void refresh(qint64 nowUs, qint64 graceUs);
    void focusFilter();
    void selectTopic(const QString &topic);

    TopicTreeModel *model() const { return m_model; }
    TopicFilterProxy *proxy() const { return m_proxy; }
    QTreeView *view() const { return m_view; }
    TopicDetails *details() const { return m_details; }
    QLineEdit *filterEdit() const { return m_filter; }

Q_SIGNALS:
    /// "120 topics, 2 stale" changed: for the tab title.
    void summaryChanged(const QString &summary);
    /// "Plot history" on a node of the tree: the topic, or `prefix/#` for a node above topics.
    void historyRequested(const QString &filter);

private:
    void updateDetails();
    void updateSummary();

    const TopicStats &m_stats;
    TopicTreeModel *m_model = nullptr;
    TopicFilterProxy *m_proxy = nullptr;
    QTreeView *m_view = nullptr;
    TopicDetails *m_details = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_summary = nullptr;
    std::vector<TopicSample> m_changes;
    std::uint64_t m_version = 0;
    qint64 m_nowUs = 0;
    qint64 m_lastTimesUs = 0;
    QString m_summaryText;
};

} // namespace iot
