// SPDX-License-Identifier: MIT
#pragma once

#include "deadlettermodel.h"

#include <QTimer>
#include <QWidget>

#include <memory>
#include <vector>

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace iot {

class GuiLogSink;

/// The Problems view: recent dead letters (topic, time, reason) and the warnings and errors of the log, both fed
/// in bulk at most a few times a second however fast problems arrive. Lives on the GUI thread; the log sink it
/// installs is called on any thread and only buffers.
class ProblemsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProblemsPanel)
public:
    /// Local: the log lines of this process are shown under the dead letters. Remote: a remote instance's dead
    /// letters (the fleet view); its log stays on its server, this process's log is not mixed in.
    enum class LogSource { Local, Remote };
    explicit ProblemsPanel(QWidget *parent = nullptr, LogSource log = LogSource::Local);
    ~ProblemsPanel() override;

    /// Buffered; shown at the next flush().
    void addDeadLetter(const QByteArray &topic, const QString &reason, qint64 receivedAtUs);
    /// Moves buffered dead letters into the table; `totalDeadLettered` is the engine's count.
    void flush(quint64 totalDeadLettered);
    /// The remote instance was restarted at `restartAtUs` (a new process): the dead letters listed so far, and
    /// those still buffered, are kept but marked as the previous process's; the summary counts from the restart.
    void markRestart(qint64 restartAtUs);
    /// Problems (dead letters + log lines) added since markSeen().
    quint64 unseen() const { return m_unseen; }
    void markSeen();

    DeadLetterModel *deadLetters() const { return m_model; }
    QPlainTextEdit *logView() const { return m_log; }
    QLabel *deadLetterSummary() const { return m_deadSummary; }
    bool logAttached() const { return m_attached; }
    /// Takes the log lines buffered so far now (normally done by a timer).
    void drainLog();

Q_SIGNALS:
    void unseenChanged(quint64 unseen);

private:
    void listPending();  // the buffered dead letters into the list
    DeadLetterModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_deadSummary = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QLabel *m_logSummary = nullptr;
    std::shared_ptr<GuiLogSink> m_sink;
    std::vector<DeadLetter> m_pending;
    QTimer m_drainTimer;
    quint64 m_unseen = 0;
    quint64 m_logLines = 0;
    quint64 m_suppressed = 0;
    quint64 m_signalled = 0;
    qint64 m_restartAtUs = 0;   // the last restart of a remote instance (0: none seen)
    bool m_attached = false;
};

} // namespace iot
