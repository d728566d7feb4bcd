// SPDX-License-Identifier: MIT
#include "instancespanel.h"

#include "icons.h"

#include <QHeaderView>
#include <QTableWidget>
#include <QVBoxLayout>

namespace iot {
namespace {

StatusLevel levelOf(RemoteInstance::Health h)
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

int severity(RemoteInstance::Health h)
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

InstancesPanel::InstancesPanel(QWidget *parent) : QWidget(parent), m_table(new QTableWidget(0, ColumnCount, this))
{
    m_table->setObjectName(QStringLiteral("instancesTable"));
    m_table->setHorizontalHeaderLabels({tr("Instance"), tr("State"), tr("Written/s"), tr("Backlog"),
                                        tr("Dead letters/min"), tr("Received"), tr("Written"), tr("Problem")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSortingEnabled(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table);
}

InstancesPanel::~InstancesPanel() = default;

RemoteInstance *InstancesPanel::addInstance(const QUrl &url, const QByteArray &token)
{
    m_rows.push_back(Row{std::make_unique<RemoteInstance>(url, token), {}, -1, 0});
    RemoteInstance *remote = m_rows.back().remote.get();
    const bool sorting = m_table->isSortingEnabled();
    m_table->setSortingEnabled(false);
    const int r = m_table->rowCount();
    m_table->insertRow(r);
    auto *name = new Cell(url.toDisplayString(), url.toDisplayString());
    name->setData(Qt::UserRole + 1, QVariant::fromValue<void *>(remote));   // finds the row after sorting
    m_table->setItem(r, NameColumn, name);
    m_table->setSortingEnabled(sorting);
    connect(remote, &RemoteInstance::updated, this, [this, remote] {
        for (Row &row : m_rows)
            if (row.remote.get() == remote)
                refresh(row);
    });
    remote->start();
    return remote;
}

RemoteInstance::Health InstancesPanel::worstHealth() const
{
    RemoteInstance::Health worst = RemoteInstance::Health::Ok;
    for (const Row &row : m_rows)
        if (severity(row.remote->health()) > severity(worst))
            worst = row.remote->health();
    return worst;
}

void InstancesPanel::refresh(Row &row)
{
    RemoteInstance &remote = *row.remote;
    int r = -1;
    for (int i = 0; i < m_table->rowCount(); ++i)
        if (m_table->item(i, NameColumn)->data(Qt::UserRole + 1).value<void *>() == &remote)
            r = i;
    if (r < 0)
        return;
    const QJsonObject s = remote.status();
    const bool stale = remote.stale();
    const qint64 dead = s.value(QStringLiteral("dead_lettered")).toInteger(-1);
    if (!stale && dead >= 0) {
        if (row.sampleDead >= 0 && row.sampleClock.elapsed() >= 1000) {
            const double perMin = double(dead - row.sampleDead) * 60000.0 / double(row.sampleClock.elapsed());
            row.deadPerMin = 0.8 * row.deadPerMin + 0.2 * perMin;
        }
        if (row.sampleDead < 0 || row.sampleClock.elapsed() >= 1000) {
            row.sampleDead = dead;
            row.sampleClock.start();
        }
    }
    const QString staleMark = stale && !s.isEmpty() ? tr(" (stale)") : QString();
    const auto number = [&](qint64 v) { return v < 0 ? QStringLiteral("–") : QLocale().toString(v) + staleMark; };
    // Instances on one host share its name (and often the service name): the address tells them apart.
    const QString address = remote.url().authority();
    const QString name = s.isEmpty()
        ? address
        : QStringLiteral("%1 @ %2 (%3)").arg(s.value(QStringLiteral("instance")).toString(),
                                            s.value(QStringLiteral("host")).toString(), address);
    const double writtenPerSec = s.value(QStringLiteral("rates")).toObject()
                                     .value(QStringLiteral("written_per_sec")).toDouble();
    const bool sorting = m_table->isSortingEnabled();
    m_table->setSortingEnabled(false);
    auto *nameCell = new Cell(name, name);
    nameCell->setData(Qt::UserRole + 1, QVariant::fromValue<void *>(&remote));
    nameCell->setToolTip(remote.url().toDisplayString());
    m_table->setItem(r, NameColumn, nameCell);
    auto *health = new Cell(RemoteInstance::healthName(remote.health()), severity(remote.health()));
    health->setIcon(Icons::state(levelOf(remote.health())));
    m_table->setItem(r, HealthColumn, health);
    m_table->setItem(r, ThroughputColumn,
                     new Cell(stale ? tr("–") : QLocale().toString(writtenPerSec, 'f', 0), stale ? -1.0 : writtenPerSec));
    const qint64 backlog = s.value(QStringLiteral("in_flight")).toInteger(-1);
    m_table->setItem(r, BacklogColumn, new Cell(number(backlog), backlog));
    m_table->setItem(r, DeadPerMinColumn, new Cell(stale ? tr("–") : QLocale().toString(row.deadPerMin, 'f', 1),
                                                   stale ? -1.0 : row.deadPerMin));
    const qint64 received = s.value(QStringLiteral("received")).toInteger(-1);
    const qint64 written = s.value(QStringLiteral("written")).toInteger(-1);
    m_table->setItem(r, ReceivedColumn, new Cell(number(received), received));
    m_table->setItem(r, WrittenColumn, new Cell(number(written), written));
    m_table->setItem(r, ProblemColumn, new Cell(remote.problem(), remote.problem()));
    m_table->setSortingEnabled(sorting);
    for (int c = NameColumn; c < ProblemColumn; ++c)
        m_table->resizeColumnToContents(c);
}

} // namespace iot
