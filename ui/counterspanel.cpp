// SPDX-License-Identifier: MIT
#include "counterspanel.h"

#include "icons.h"
#include "statustext.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QStyle>
#include <QVBoxLayout>

namespace iot {

CountersPanel::CountersPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *box = new QGroupBox(tr("Counters since start"), this);
    auto *grid = new QGridLayout(box);
    grid->setColumnStretch(1, 1);
    layout->addWidget(box);

    // Rows are added to the box's grid in this order.
    const auto row = [this, grid, box](const char *key, const QString &title, const QString &tip) {
        auto *t = new QLabel(title, box);
        auto *v = new QLabel(box);
        v->setObjectName(QLatin1String(key));
        v->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        v->setTextInteractionFlags(Qt::TextSelectableByMouse);
        t->setToolTip(tip);
        v->setToolTip(tip);
        t->setBuddy(v);
        grid->addWidget(t, m_rows, 0);
        grid->addWidget(v, m_rows, 1);
        ++m_rows;
        m_values.insert(QLatin1String(key), v);
        m_titles.insert(QLatin1String(key), t);
    };
    row("received", tr("Received"), tr("Messages taken off the MQTT connection"));
    row("replayed", tr("Replayed from spool"), tr("Messages read back from the disk spool after a restart"));
    row("written", tr("Written"), tr("Rows committed to the readings table"));
    row("deadLettered", tr("Dead-lettered"),
        tr("Messages stored in the dead-letter table with the reason (not valid JSON, too large, rejected)"));
    row("dropped", tr("Dropped"),
        tr("Messages given up on: only those still unwritten when a shutdown timed out (and no spool kept them)"));
    row("inFlight", tr("In flight"), tr("Received, not yet committed (in memory; some waiting for the writer)"));
    row("transactions", tr("Transactions"), tr("Committed write transactions, and those that failed and were retried"));
    row("reconnects", tr("Reconnects"), tr("Times the MQTT connection / the database connection was re-established"));
    row("readPauses", tr("Buffer-full pauses"), tr("Times reading stopped because the buffer was at its limit"));
    row("lastCommit", tr("Last commit"), tr("When the latest write transaction committed"));
    row("latency", tr("Commit latency"),
        tr("Receive → commit time of every row committed in the last 60 s (p50 / p99 / max), measured per row on the "
           "writer thread; the last transaction's oldest row in brackets"));

    auto *balanceBox = new QGroupBox(tr("Balance"), this);
    auto *bl = new QVBoxLayout(balanceBox);
    m_balance = new QLabel(balanceBox);
    m_balance->setObjectName(QStringLiteral("balance"));
    m_balance->setWordWrap(true);
    m_balance->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_balanceCheck = new QLabel(balanceBox);
    m_balanceCheck->setObjectName(QStringLiteral("balanceCheck"));
    bl->addWidget(m_balance);
    bl->addWidget(m_balanceCheck);
    balanceBox->setToolTip(tr("Every message received is accounted for: written, dead-lettered, dropped (counted, "
                              "never silent) or still in flight."));
    layout->addWidget(balanceBox);
    layout->addStretch(1);
}

void CountersPanel::render(const EngineSnapshot &s, const CommitLatency::Percentiles &latency, qint64 nowUs)
{
    const auto set = [this](const char *key, const QString &text) { m_values.value(QLatin1String(key))->setText(text); };
    set("received", StatusText::count(s.received) + QStringLiteral("  (") + StatusText::rate(s.receivedPerSec)
                        + QLatin1Char(')'));
    const bool spool = s.spoolEnabled || s.replayed > 0;
    m_values.value(QStringLiteral("replayed"))->setVisible(spool);
    m_titles.value(QStringLiteral("replayed"))->setVisible(spool);
    set("replayed", StatusText::count(s.replayed));
    set("written", StatusText::count(s.written) + QStringLiteral("  (") + StatusText::rate(s.writtenPerSec)
                       + QLatin1Char(')'));
    set("deadLettered", StatusText::count(s.deadLettered));
    set("dropped", StatusText::count(s.dropped));
    set("inFlight", tr("%1  (%2 waiting for the writer)").arg(StatusText::count(s.inFlight), StatusText::count(s.queued)));
    set("transactions", tr("%1  (%2 failed, retried)").arg(StatusText::count(s.transactions),
                                                            StatusText::count(s.writeFailures)));
    set("reconnects", tr("MQTT %1 · database %2").arg(StatusText::count(s.mqttReconnects),
                                                      StatusText::count(s.dbReconnects)));
    set("readPauses", StatusText::count(s.readPauses));
    set("lastCommit", s.lastCommitUs > 0 ? StatusText::ago(s.lastCommitUs, nowUs) : tr("none yet"));
    QString lat = latency.rows > 0 ? tr("p50 %1 · p99 %2 · max %3")
                                         .arg(StatusText::duration(latency.p50Us), StatusText::duration(latency.p99Us),
                                              StatusText::duration(latency.maxUs))
                                   : tr("no commits in the last minute");
    if (s.lastCommitLatencyUs > 0)
        lat += tr("  (last %1)").arg(StatusText::duration(s.lastCommitLatencyUs));
    set("latency", lat);

    // The terms come from CounterTable, as in the log's "stopped: ..." line (deduplicated rows included).
    const quint64 in = s.balanceIn();
    const quint64 out = s.balanceOut();
    m_balanced = in == out;
    m_balance->setText(s.balanceText(&StatusText::count));
    m_balanceCheck->setText(m_balanced ? tr("✔ balanced: every message is accounted for")
                                       : tr("✘ does not add up: %1 on the left, %2 on the right")
                                             .arg(StatusText::count(in), StatusText::count(out)));
}

QString CountersPanel::value(const QString &key) const
{
    const QLabel *l = m_values.value(key);
    return l ? l->text() : QString();
}

QString CountersPanel::balanceText() const
{
    return m_balance->text();
}

} // namespace iot
