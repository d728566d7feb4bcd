// SPDX-License-Identifier: MIT
#include "instancespanel.h"

#include "icons.h"

#include <QHeaderView>
#include <QHostInfo>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace iot {
namespace {

int remoteSeverity(RemoteInstance::Health h)
{
    switch (h) {
    case RemoteInstance::Health::Ok: return 0;
    case RemoteInstance::Health::Unknown: return 1;
    case RemoteInstance::Health::Warning: return 2;
    case RemoteInstance::Health::Error: return 3;
    case RemoteInstance::Health::Unreachable: return 4;
    }
    return 4;
}

/// A cell that sorts by `sortKey` (numbers as numbers) and shows `text`.
class Cell final : public QTableWidgetItem
{
public:
    Cell(const QString &text, const QVariant &sortKey) : QTableWidgetItem(text) { setData(Qt::UserRole, sortKey); }
    bool operator<(const QTableWidgetItem &other) const override
    {
        return QVariant::compare(data(Qt::UserRole), other.data(Qt::UserRole)) == QPartialOrdering::Less;
    }
};

} // namespace

StatusLevel InstancesPanel::levelOf(RemoteInstance::Health h)
{
    switch (h) {
    case RemoteInstance::Health::Ok: return StatusLevel::Ok;
    case RemoteInstance::Health::Warning: return StatusLevel::Warning;
    case RemoteInstance::Health::Error: return StatusLevel::Error;
    case RemoteInstance::Health::Unreachable: return StatusLevel::Off;
    case RemoteInstance::Health::Unknown: return StatusLevel::Busy;
    }
    return StatusLevel::Off;
}

int InstancesPanel::severity(StatusLevel level)
{
    switch (level) {
    case StatusLevel::Ok: return 0;
    case StatusLevel::Busy:
    case StatusLevel::Paused: return 1;
    case StatusLevel::Warning: return 2;
    case StatusLevel::Error: return 3;
    case StatusLevel::Off: return 4;
    }
    return 4;
}

void InstancesPanel::Rate::sample(qint64 dead)
{
    if (dead < 0)
        return;
    if (sampleDead >= 0 && sampleClock.elapsed() >= 1000) {
        const double perMin = double(dead - sampleDead) * 60000.0 / double(sampleClock.elapsed());
        deadPerMin = 0.8 * deadPerMin + 0.2 * perMin;
    }
    if (sampleDead < 0 || sampleClock.elapsed() >= 1000) {
        sampleDead = dead;
        sampleClock.start();
    }
}

InstancesPanel::InstancesPanel(QWidget *parent) : QWidget(parent), m_table(new QTableWidget(0, ColumnCount, this))
{
    m_table->setObjectName(QStringLiteral("instancesTable"));
    m_table->setHorizontalHeaderLabels({tr("Instance"), tr("State"), tr("Written/s"), tr("Backlog"),
                                        tr("Dead letters/min"), tr("Received"), tr("Written"), tr("Problem")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(NameColumn, Qt::AscendingOrder);   // Qt's default would be descending
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &InstancesPanel::emitSelection);
    connect(m_table, &QTableWidget::cellActivated, this, [this] { emitSelection(); });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row) {
        if (RemoteInstance *remote = instanceAt(row))
            Q_EMIT instanceDoubleClicked(remote);
    });
}

InstancesPanel::~InstancesPanel() = default;

void InstancesPanel::emitSelection()
{
    const QList<QTableWidgetItem *> selected = m_table->selectedItems();
    if (selected.isEmpty())
        return;
    const int r = selected.constFirst()->row();
    const QTableWidgetItem *name = m_table->item(r, NameColumn);
    if (!name)
        return;
    if (name->data(LocalRole).toBool())
        Q_EMIT localActivated();
    else if (RemoteInstance *remote = instanceAt(r))
        Q_EMIT instanceActivated(remote);
}

RemoteInstance *InstancesPanel::instanceAt(int row) const
{
    const QTableWidgetItem *name = m_table->item(row, NameColumn);
    return name ? static_cast<RemoteInstance *>(name->data(InstanceRole).value<void *>()) : nullptr;
}

void InstancesPanel::selectInstance(const RemoteInstance *remote)
{
    if (const int r = rowOf(remote); r >= 0)
        m_table->selectRow(r);
}

int InstancesPanel::rowOf(const RemoteInstance *remote) const
{
    for (int i = 0; i < m_table->rowCount(); ++i) {
        const QTableWidgetItem *name = m_table->item(i, NameColumn);
        if (!name)
            continue;
        if (remote ? name->data(InstanceRole).value<void *>() == remote : name->data(LocalRole).toBool())
            return i;
    }
    return -1;
}

RemoteInstance *InstancesPanel::addInstance(const QUrl &url, const QByteArray &token, const QString &name)
{
    m_rows.push_back(Row{std::make_unique<RemoteInstance>(url, token), {}});
    RemoteInstance *remote = m_rows.back().remote.get();
    remote->setName(name);
    const bool sorting = m_table->isSortingEnabled();
    m_table->setSortingEnabled(false);
    const int r = m_table->rowCount();
    m_table->insertRow(r);
    const QString shown = name.isEmpty() ? url.toDisplayString() : name;
    auto *nameCell = new Cell(shown, shown);
    nameCell->setData(InstanceRole, QVariant::fromValue<void *>(remote));
    m_table->setItem(r, NameColumn, nameCell);
    m_table->setSortingEnabled(sorting);
    connect(remote, &RemoteInstance::updated, this, [this, remote] {
        for (Row &row : m_rows)
            if (row.remote.get() == remote)
                refresh(row);
    });
    remote->start();
    return remote;
}

void InstancesPanel::removeInstance(RemoteInstance *remote)
{
    const auto it = std::find_if(m_rows.begin(), m_rows.end(), [remote](const Row &r) { return r.remote.get() == remote; });
    if (it == m_rows.end())
        return;
    Q_EMIT instanceRemoved(remote);
    if (const int r = rowOf(remote); r >= 0)
        m_table->removeRow(r);
    m_rows.erase(it);
    Q_EMIT changed();
}

void InstancesPanel::renameInstance(RemoteInstance *remote, const QString &name)
{
    for (Row &row : m_rows) {
        if (row.remote.get() == remote) {
            remote->setName(name);
            refresh(row);
        }
    }
}

void InstancesPanel::setLocal(bool present, const EngineSnapshot &s, StatusLevel level, const QString &words)
{
    if (!present) {
        if (m_localPresent) {
            m_localPresent = false;
            if (const int r = rowOf(nullptr); r >= 0)
                m_table->removeRow(r);
            Q_EMIT changed();
        }
        return;
    }
    if (!m_localPresent) {
        m_localPresent = true;
        const bool sorting = m_table->isSortingEnabled();
        m_table->setSortingEnabled(false);
        m_table->insertRow(0);
        auto *nameCell = new Cell(QString(), QString());
        nameCell->setData(LocalRole, true);
        m_table->setItem(0, NameColumn, nameCell);
        m_table->setSortingEnabled(sorting);
    }
    m_local = s;
    m_localLevel = level;
    m_localWords = words;
    refreshLocal();
}

RemoteInstance::Health InstancesPanel::worstHealth() const
{
    RemoteInstance::Health worst = RemoteInstance::Health::Ok;
    for (const Row &row : m_rows)
        if (remoteSeverity(row.remote->health()) > remoteSeverity(worst))
            worst = row.remote->health();
    return worst;
}

void InstancesPanel::setLocalOff(bool off)
{
    if (m_localOff == off)
        return;
    m_localOff = off;
    refreshLocal();
    Q_EMIT changed();
}

StatusLevel InstancesPanel::worstLevel() const
{
    StatusLevel worst = m_localPresent && !m_localOff ? m_localLevel : StatusLevel::Ok;
    for (const Row &row : m_rows) {
        const StatusLevel l = levelOf(row.remote->health());
        if (severity(l) > severity(worst))
            worst = l;
    }
    return worst;
}

void InstancesPanel::refreshLocal()
{
    const int r = rowOf(nullptr);
    if (r < 0)
        return;
    m_localRate.sample(qint64(m_local.deadLettered));
    Cells c;
    c.name = tr("this computer (%1)").arg(QHostInfo::localHostName());
    c.tooltip = tr("The engine in this window (its figures are those of the Overview tab)");
    c.level = m_localLevel;
    c.severity = severity(m_localLevel);
    switch (m_localLevel) {
    case StatusLevel::Ok: c.health = QStringLiteral("ok"); break;
    case StatusLevel::Busy:
    case StatusLevel::Paused:
    case StatusLevel::Warning: c.health = QStringLiteral("warning"); break;
    case StatusLevel::Error: c.health = QStringLiteral("error"); break;
    case StatusLevel::Off: c.health = QStringLiteral("stopped"); break;
    }
    c.writtenPerSec = m_local.writtenPerSec;
    c.backlog = qint64(m_local.inFlight);
    c.received = qint64(m_local.received);
    c.written = qint64(m_local.written);
    c.deadPerMin = m_localRate.deadPerMin;
    c.problem = m_localLevel == StatusLevel::Ok ? QString() : m_localWords;
    if (m_localOff) {
        // The operator's choice, not a fault: sorts with the healthy rows.
        c.health = QStringLiteral("off");
        c.severity = severity(StatusLevel::Ok);
        c.problem = tr("turned off in this window (Ingestion → Turn local engine on)");
        c.writtenPerSec = 0;
    }
    fill(r, c);
}

void InstancesPanel::refresh(Row &row)
{
    RemoteInstance &remote = *row.remote;
    const int r = rowOf(&remote);
    if (r < 0)
        return;
    const QJsonObject s = remote.status();
    Cells c;
    c.stale = remote.stale();
    if (!c.stale)
        row.rate.sample(s.value(QStringLiteral("dead_lettered")).toInteger(-1));
    // Instances on one host share its name (and often the service name): the address tells them apart.
    const QString address = remote.url().authority();
    const QString own = s.isEmpty() ? QString()
                                    : QStringLiteral("%1 @ %2").arg(s.value(QStringLiteral("instance")).toString(),
                                                                    s.value(QStringLiteral("host")).toString());
    if (!remote.name().isEmpty())
        c.name = QStringLiteral("%1 (%2)").arg(remote.name(), address);
    else
        c.name = own.isEmpty() ? address : QStringLiteral("%1 (%2)").arg(own, address);
    c.tooltip = remote.url().toDisplayString() + (own.isEmpty() ? QString() : QStringLiteral("\n") + own);
    c.health = RemoteInstance::healthName(remote.health());
    c.level = levelOf(remote.health());
    c.severity = remoteSeverity(remote.health());
    c.writtenPerSec = s.value(QStringLiteral("rates")).toObject().value(QStringLiteral("written_per_sec")).toDouble();
    c.backlog = s.value(QStringLiteral("in_flight")).toInteger(-1);
    c.received = s.value(QStringLiteral("received")).toInteger(-1);
    c.written = s.value(QStringLiteral("written")).toInteger(-1);
    c.deadPerMin = row.rate.deadPerMin;
    c.problem = remote.problem();
    fill(r, c);
}

void InstancesPanel::fill(int r, const Cells &c)
{
    const bool hasFigures = c.received >= 0;
    const QString staleMark = c.stale && hasFigures ? tr(" (stale)") : QString();
    const auto number = [&](qint64 v) { return v < 0 ? QStringLiteral("–") : QLocale().toString(v) + staleMark; };
    const bool sorting = m_table->isSortingEnabled();
    m_table->setSortingEnabled(false);
    // The name cell keeps its identity roles; only its text changes.
    QTableWidgetItem *nameCell = m_table->item(r, NameColumn);
    nameCell->setText(c.name);
    nameCell->setData(Qt::UserRole, c.name);
    nameCell->setToolTip(c.tooltip);
    auto *health = new Cell(c.health, c.severity);
    health->setIcon(Icons::state(c.level));
    m_table->setItem(r, HealthColumn, health);
    const bool current = !c.stale && hasFigures;
    m_table->setItem(r, ThroughputColumn, new Cell(current ? QLocale().toString(c.writtenPerSec, 'f', 0) : tr("–"),
                                                   current ? c.writtenPerSec : -1.0));
    m_table->setItem(r, BacklogColumn, new Cell(number(c.backlog), c.backlog));
    m_table->setItem(r, DeadPerMinColumn, new Cell(current ? QLocale().toString(c.deadPerMin, 'f', 1) : tr("–"),
                                                   current ? c.deadPerMin : -1.0));
    m_table->setItem(r, ReceivedColumn, new Cell(number(c.received), c.received));
    m_table->setItem(r, WrittenColumn, new Cell(number(c.written), c.written));
    auto *problem = new Cell(c.problem, c.problem);
    problem->setToolTip(c.problem);
    m_table->setItem(r, ProblemColumn, problem);
    m_table->setSortingEnabled(sorting);
    for (int col = NameColumn; col < ProblemColumn; ++col)
        m_table->resizeColumnToContents(col);
    Q_EMIT changed();
}

} // namespace iot
