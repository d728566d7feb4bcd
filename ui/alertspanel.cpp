// SPDX-License-Identifier: MIT
#include "alertspanel.h"

#include "icons.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace iot {

namespace {

QString timeText(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString valueText(const AlertEvent &e)
{
    return QString::number(e.value, 'g', 6);
}

QTreeWidget *table(QWidget *parent, const QStringList &headers, const QString &name)
{
    auto *t = new QTreeWidget(parent);
    t->setObjectName(name);
    t->setRootIsDecorated(false);
    t->setUniformRowHeights(true);
    t->setAlternatingRowColors(true);
    t->setHeaderLabels(headers);
    t->header()->setStretchLastSection(true);
    t->setColumnWidth(0, 170);
    t->setColumnWidth(1, 180);
    t->setColumnWidth(2, 260);
    t->setColumnWidth(3, 240);
    return t;
}

QString rowText(const QTreeWidgetItem *item)
{
    QStringList cols;
    for (int c = 0; c < item->columnCount(); ++c)
        cols << item->text(c);
    return cols.join(QStringLiteral(" | "));
}

} // namespace

AlertsPanel::AlertsPanel(QWidget *parent, int capacity) : QWidget(parent), m_capacity(capacity)
{
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("alertsSummary"));
    m_firing = table(this, {tr("Since"), tr("Rule"), tr("Topic"), tr("Severity"), tr("Value")},
                     QStringLiteral("alertsFiring"));
    m_history = table(this, {tr("Time"), tr("Rule"), tr("Topic"), tr("Event"), tr("Value")},
                      QStringLiteral("alertsHistory"));
    auto *split = new QSplitter(Qt::Vertical, this);
    auto *top = new QWidget(split);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(new QLabel(tr("<b>Firing now</b>"), top));
    topLayout->addWidget(m_firing);
    auto *bottom = new QWidget(split);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addWidget(new QLabel(tr("<b>History</b> (newest first; earlier runs marked stored)"), bottom));
    bottomLayout->addWidget(m_history);
    split->addWidget(top);
    split->addWidget(bottom);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
    updateSummary();
}

void AlertsPanel::setRuleCount(int rules)
{
    m_rules = rules;
    updateSummary();
}

void AlertsPanel::addEvent(const AlertEvent &e)
{
    const bool fired = e.kind == AlertEvent::Kind::Fired;
    const QString what = fired ? tr("FIRING (%1)").arg(e.severity)
                               : tr("resolved after %1 s").arg(double(e.atUs - e.startsAtUs) / 1e6, 0, 'f', 1);
    auto *h = new QTreeWidgetItem({timeText(e.atUs), e.ruleName, e.topic, what, valueText(e)});
    h->setIcon(3, Icons::state(fired ? StatusLevel::Error : StatusLevel::Ok));
    m_history->insertTopLevelItem(0, h);
    while (m_history->topLevelItemCount() > m_capacity)
        delete m_history->takeTopLevelItem(m_history->topLevelItemCount() - 1);

    for (int i = 0; i < m_firing->topLevelItemCount(); ++i) {
        QTreeWidgetItem *f = m_firing->topLevelItem(i);
        if (f->text(1) == e.ruleName && f->text(2) == e.topic) {
            delete m_firing->takeTopLevelItem(i);
            break;
        }
    }
    if (fired)
        addFiringRow(e);
    updateSummary();
    Q_EMIT firingCountChanged(firingCount());
}

void AlertsPanel::addStored(const QList<AlertEvent> &events)
{
    // Below whatever this run already showed, newest first.
    for (const AlertEvent &e : events) {
        const bool fired = e.kind == AlertEvent::Kind::Fired;
        const QString what = (fired ? tr("FIRING (%1)").arg(e.severity)
                                    : tr("resolved after %1 s").arg(double(e.atUs - e.startsAtUs) / 1e6, 0, 'f', 1))
            + tr(" · stored");
        auto *h = new QTreeWidgetItem({timeText(e.atUs), e.ruleName, e.topic, what, valueText(e)});
        h->setIcon(3, Icons::state(fired ? StatusLevel::Warning : StatusLevel::Ok));
        h->setToolTip(3, tr("From an earlier run (alert-history.jsonl in the spool directory)"));
        h->setData(0, Qt::UserRole, true);   // stored
        int at = 0;
        while (at < m_history->topLevelItemCount() && !m_history->topLevelItem(at)->data(0, Qt::UserRole).toBool())
            ++at;
        m_history->insertTopLevelItem(at, h);
    }
    while (m_history->topLevelItemCount() > m_capacity)
        delete m_history->takeTopLevelItem(m_history->topLevelItemCount() - 1);
}

void AlertsPanel::addFiringRow(const AlertEvent &e)
{
    auto *f = new QTreeWidgetItem({timeText(e.startsAtUs), e.ruleName, e.topic, e.severity, valueText(e)});
    f->setIcon(0, Icons::state(StatusLevel::Error));
    f->setToolTip(1, e.summary.isEmpty() ? e.description : e.summary + u'\n' + e.description);
    m_firing->insertTopLevelItem(0, f);
}

void AlertsPanel::reset(const QList<AlertEvent> &firing)
{
    m_firing->clear();
    for (const AlertEvent &e : firing)
        addFiringRow(e);
    updateSummary();
    Q_EMIT firingCountChanged(firingCount());
}

void AlertsPanel::updateSummary()
{
    if (m_rules == 0)
        m_summary->setText(tr("No [[alerts]] rules in the configuration (README: Alerts)."));
    else
        m_summary->setText((m_rules == 1 ? tr("1 rule") : tr("%1 rules").arg(m_rules))
                           + tr(" · %1 firing").arg(firingCount()));
}

int AlertsPanel::firingCount() const
{
    return m_firing->topLevelItemCount();
}

int AlertsPanel::historyCount() const
{
    return m_history->topLevelItemCount();
}

QString AlertsPanel::firingText(int row) const
{
    const QTreeWidgetItem *item = m_firing->topLevelItem(row);
    return item ? rowText(item) : QString();
}

QString AlertsPanel::historyText(int row) const
{
    const QTreeWidgetItem *item = m_history->topLevelItem(row);
    return item ? rowText(item) : QString();
}

} // namespace iot
