// SPDX-License-Identifier: MIT
#include "problemspanel.h"

#include "guilogsink.h"
#include "statustext.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <spdlog/common.h>

namespace iot {
namespace {

constexpr int DrainIntervalMs = 250;
constexpr int MaxLogBlocks = 2000;

QString levelWord(int level)
{
    switch (spdlog::level::level_enum(level)) {
    case spdlog::level::warn: return QStringLiteral("warning");
    case spdlog::level::err: return QStringLiteral("ERROR");
    case spdlog::level::critical: return QStringLiteral("CRITICAL");
    default: break;
    }
    return QStringLiteral("info");
}

} // namespace

ProblemsPanel::ProblemsPanel(QWidget *parent, LogSource log) : QWidget(parent)
{
    m_model = new DeadLetterModel(1000, this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("deadLetterTable"));
    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("Recent dead letters"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->resizeSection(DeadLetterModel::TimeColumn, 90);
    m_table->horizontalHeader()->resizeSection(DeadLetterModel::TopicColumn, 260);
    m_table->setWordWrap(false);
    m_deadSummary = new QLabel(tr("No dead letters: every message received so far could be stored."), this);
    m_deadSummary->setObjectName(QStringLiteral("deadLetterSummary"));
    m_deadSummary->setWordWrap(true);

    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("logView"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(MaxLogBlocks);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setAccessibleName(tr("Warnings and errors"));
    m_log->setTabChangesFocus(true);
    m_logSummary = new QLabel(tr("Warnings and errors of this run (the log file has everything):"), this);
    m_logSummary->setWordWrap(true);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto *deadTitle = new QLabel(tr("<b>Dead letters</b> — messages stored in the dead-letter table instead"), top);
    topLayout->addWidget(deadTitle);
    topLayout->addWidget(m_deadSummary);
    topLayout->addWidget(m_table, 1);
    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addWidget(new QLabel(tr("<b>Log</b>"), bottom));
    bottomLayout->addWidget(m_logSummary);
    bottomLayout->addWidget(m_log, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    if (log == LogSource::Remote) {
        bottom->hide();
        m_logSummary->setText(tr("The instance's log is on its server (journalctl or its log file)."));
        topLayout->addWidget(new QLabel(m_logSummary->text(), top));
        return;
    }
    m_drainTimer.setSingleShot(true);
    m_drainTimer.setInterval(DrainIntervalMs);
    connect(&m_drainTimer, &QTimer::timeout, this, &ProblemsPanel::drainLog);
    // The sink calls this on the logging thread at most once per drain; the timer then batches what follows.
    m_sink = std::make_shared<GuiLogSink>([this] {
        QMetaObject::invokeMethod(
            this, [this] { if (!m_drainTimer.isActive()) m_drainTimer.start(); }, Qt::QueuedConnection);
    });
    m_attached = GuiLogSink::attach(m_sink);
    if (!m_attached)
        m_logSummary->setText(tr("The log cannot be shown here (unexpected logging set-up); see the log file."));
}

ProblemsPanel::~ProblemsPanel()
{
    // After this no logging thread can reach the sink, and so this object.
    if (m_attached)
        GuiLogSink::detach(m_sink);
}

void ProblemsPanel::addDeadLetter(const QByteArray &topic, const QString &reason, qint64 receivedAtUs)
{
    ++m_signalled;
    if (m_pending.size() < 1000)
        m_pending.push_back({receivedAtUs, topic, reason});
}

void ProblemsPanel::listPending()
{
    if (!m_pending.empty()) {
        m_unseen += m_pending.size();
        m_model->add(m_pending);
        m_pending.clear();
        Q_EMIT unseenChanged(m_unseen);
    }
}

void ProblemsPanel::flush(quint64 totalDeadLettered)
{
    listPending();
    if (m_restartAtUs > 0) {
        // The count is the new process's; the older rows stay, marked, and the words say which is which.
        const int before = m_model->rowCount() - m_model->currentCount();
        m_deadSummary->setText(
            tr("%1 dead-lettered since the instance restarted at %2; %3 listed from before the restart (greyed, "
               "the previous process's). The dead-letter table has every one, with its payload.")
                .arg(totalDeadLettered ? StatusText::count(totalDeadLettered) : tr("None"),
                     StatusText::clock(m_restartAtUs))
                .arg(before));
        return;
    }
    if (totalDeadLettered > 0)
        m_deadSummary->setText(tr("%1 dead-lettered in total since start; the latest %2 reported are listed "
                                  "(the dead-letter table has every one, with its payload).")
                                   .arg(StatusText::count(totalDeadLettered))
                                   .arg(m_model->rowCount()));
}

void ProblemsPanel::markRestart(qint64 restartAtUs)
{
    listPending();  // what is still buffered was reported by the previous process too
    m_model->markBeforeRestart(restartAtUs);
    m_restartAtUs = restartAtUs;
    flush(0);   // the new process has counted none yet
}

void ProblemsPanel::drainLog()
{
    if (!m_sink)
        return;
    quint64 suppressed = 0;
    std::deque<LogLine> lines = m_sink->take(&suppressed);
    if (lines.empty() && suppressed == 0)
        return;
    QString text;
    for (const LogLine &l : lines) {
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        text += StatusText::clockMs(l.timeUs) + QStringLiteral("  ") + levelWord(l.level).leftJustified(8)
            + QStringLiteral("[") + l.logger + QStringLiteral("] ") + l.text;
    }
    if (suppressed > 0) {
        m_suppressed += suppressed;
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        text += tr("… %1 more lines not shown here (rate limit); the log file has them").arg(suppressed);
    }
    m_log->appendPlainText(text);
    m_logLines += lines.size();
    m_unseen += lines.size();
    Q_EMIT unseenChanged(m_unseen);
}

void ProblemsPanel::markSeen()
{
    if (m_unseen == 0)
        return;
    m_unseen = 0;
    Q_EMIT unseenChanged(0);
}

} // namespace iot
