// SPDX-License-Identifier: MIT
#include "topicpanel.h"

#include "plaintext.h"

#include "statustext.h"
#include "topicdetails.h"
#include "topicfilterproxy.h"
#include "topictreemodel.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

namespace iot {

TopicPanel::TopicPanel(const TopicStats &stats, QWidget *parent) : QWidget(parent), m_stats(stats)
{
    m_model = new TopicTreeModel(this);
    m_proxy = new TopicFilterProxy(this);
    m_proxy->setSourceModel(m_model);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("topicFilter"));
    m_filter->setPlaceholderText(tr("Filter by topic or payload text (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Topic filter"));
    auto *filterLabel = new QLabel(tr("F&ilter:"), this);
    filterLabel->setBuddy(m_filter);
    m_summary = PlainText::label(new QLabel(this));
    m_summary->setObjectName(QStringLiteral("topicSummary"));

    m_view = new QTreeView(this);
    m_view->setObjectName(QStringLiteral("topicTree"));
    m_view->setModel(m_proxy);
    m_view->setUniformRowHeights(true);   // constant-time layout with thousands of rows
    m_view->setAlternatingRowColors(true);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TopicTreeModel::TopicColumn, Qt::AscendingOrder);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAccessibleName(tr("Topic tree"));
    QHeaderView *header = m_view->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(TopicTreeModel::ValueColumn, QHeaderView::Stretch);
    header->resizeSection(TopicTreeModel::TopicColumn, 190);
    header->resizeSection(TopicTreeModel::CountColumn, 80);
    header->resizeSection(TopicTreeModel::RateColumn, 70);
    header->resizeSection(TopicTreeModel::LastSeenColumn, 165);

    m_details = new TopicDetails(this);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(filterLabel);
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_summary);
    leftLayout->addLayout(filterRow);
    leftLayout->addWidget(m_view, 1);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterText(text.trimmed());
        if (!text.trimmed().isEmpty())
            m_view->expandAll();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] { updateDetails(); });
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *plotHistory = new QAction(tr("Plot &history"), m_view);
    plotHistory->setObjectName(QStringLiteral("plotHistory"));
    m_view->addAction(plotHistory);
    connect(plotHistory, &QAction::triggered, this, [this] {
        const QModelIndex source = m_proxy->mapToSource(m_view->currentIndex());
        if (!source.isValid())
            return;
        const QString topic = source.data(TopicTreeModel::TopicRole).toString();
        Q_EMIT historyRequested(source.data(TopicTreeModel::IsTopicRole).toBool() ? topic
                                                                                  : topic + QStringLiteral("/#"));
    });
    // The first two levels open as they appear (an operator's collapse of existing ones is left alone).
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent, int first, int last) {
        if (parent.isValid() && parent.parent().isValid())
            return;
        for (int row = first; row <= last; ++row)
            m_view->expand(m_proxy->index(row, 0, parent));
    });
    updateSummary();
}

void TopicPanel::refresh(qint64 nowUs, qint64 graceUs)
{
    m_nowUs = nowUs;
    // Lock-free check first: nothing committed since the last pull, nothing to copy.
    if (m_stats.version() != m_version) {
        m_changes.clear();
        m_version = m_stats.changesSince(m_version, m_changes);
        m_model->apply(m_changes, nowUs, graceUs);
    }
    if (nowUs - m_lastTimesUs >= 1000000) {
        m_lastTimesUs = nowUs;
        m_model->refreshTimes(nowUs, graceUs);
        updateSummary();
    }
    updateDetails();
}

void TopicPanel::updateDetails()
{
    const QModelIndex source = m_proxy->mapToSource(m_view->currentIndex());
    const QString topic = source.isValid() ? source.data(TopicTreeModel::TopicRole).toString() : QString();
    m_details->showTopic(topic, m_model->sample(source), m_model->rate(source), m_nowUs);
}

void TopicPanel::updateSummary()
{
    const int n = m_model->topicCount();
    QString text = n == 1 ? tr("1 topic") : tr("%1 topics").arg(StatusText::count(quint64(n)));
    if (m_model->staleCount() > 0)
        text += tr(", %1 stale").arg(m_model->staleCount());
    if (const auto untracked = m_stats.untrackedReadings(); untracked > 0)
        text += tr(", %1 readings on topics beyond the tracking limit").arg(StatusText::count(untracked));
    m_summary->setText(text);
    if (text != m_summaryText) {
        m_summaryText = text;
        Q_EMIT summaryChanged(text);
    }
}

void TopicPanel::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void TopicPanel::selectTopic(const QString &topic)
{
    const QModelIndex index = m_proxy->mapFromSource(m_model->indexOfTopic(topic));
    if (!index.isValid())
        return;
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
}

} // namespace iot
