// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "history/historyrequest.h"

#include <QMetaType>
#include <QObject>
#include <QThread>

#include <memory>

namespace iot {

class HistoryRunner;

/// A HistoryRunner on its own low-priority thread, for the window: query() queues a request (a newer one replaces
/// a queued one and cancels the running one), `finished` brings the result back to the caller's thread. Lives on
/// the thread that created it; the runner on the worker thread.
class HistoryWorker final : public QObject
{
    Q_OBJECT
public:
    explicit HistoryWorker(const Config &config, QObject *parent = nullptr);
    ~HistoryWorker() override;
    Q_DISABLE_COPY_MOVE(HistoryWorker)

    /// Runs `request` after the running one (which is cancelled: only the newest answer matters). Returns its id.
    int query(const HistoryRequest &request);
    /// Cancels the running query; its `finished` comes with Ending::Cancelled.
    void cancel();
    bool busy() const { return m_pending > 0; }

Q_SIGNALS:
    void finished(int id, const iot::HistoryResult &result);

private:
    QThread m_thread;
    std::shared_ptr<HistoryRunner> m_runner;
    QObject *m_context = nullptr;  // lives on m_thread: the queued runs are invoked on it
    int m_nextId = 1;
    int m_pending = 0;
};

} // namespace iot

Q_DECLARE_METATYPE(iot::HistoryResult)
