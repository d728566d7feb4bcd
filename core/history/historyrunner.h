// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "history/historyrequest.h"

#include <QMutex>

#include <atomic>
#include <memory>

namespace iot {

class ExportSource;

/// Runs history queries on its own read-only connection (never the writer's: an ExportSource), one at a time, on
/// the thread that calls run() — a low-priority worker thread in the window. cancel() may come from any thread:
/// it ends the running query in the database (PQcancel / sqlite3_interrupt). The connection stays open between
/// queries and is made again after a failure.
class HistoryRunner final
{
public:
    explicit HistoryRunner(Config config);
    ~HistoryRunner();
    Q_DISABLE_COPY_MOVE(HistoryRunner)

    HistoryResult run(const HistoryRequest &request);
    /// Cancels the query that runs now (its run() returns Ending::Cancelled); without one, nothing happens.
    void cancel();

private:
    Config m_config;
    std::unique_ptr<ExportSource> m_source;
    QMutex m_sourceLock;                // guards m_active against cancel() from another thread
    ExportSource *m_active = nullptr;   // the source while a query runs on it
    std::atomic<bool> m_cancelled{false};
};

} // namespace iot
