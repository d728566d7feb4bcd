// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "export/exportrequest.h"

#include <atomic>
#include <cstdint>
#include <functional>

class QIODevice;

namespace iot {

/// Runs one export: the request checked against the config, a read-only connection, the rows streamed from the
/// database through the topic match and the field extraction into RFC 4180 CSV on `out`. Memory stays flat (one
/// row at a time, a 64 KiB output buffer). Reports progress every N rows and stops at a raised cancel flag, so a
/// window can run it on a worker thread with a progress bar; the command line runs it directly. Blocking; any
/// thread, one run at a time.
class Exporter final
{
public:
    Exporter(Config config, ExportRequest request);

    /// `progress(rows)` every `everyRows` data rows and once at the end (on the running thread).
    void setProgress(std::function<void(std::int64_t)> progress, std::int64_t everyRows = 10000);
    /// Checked between rows; once raised, the query is cancelled on the server and run() ends Cancelled.
    void setCancelFlag(const std::atomic_bool *cancel) { m_cancel = cancel; }

    /// Writes the header and the rows to `out` (open for writing). On failure `out` may hold a partial result:
    /// the caller decides whether to keep it (QSaveFile discards it).
    ExportOutcome run(QIODevice *out);

private:
    Config m_config;
    ExportRequest m_request;
    std::function<void(std::int64_t)> m_progress;
    std::int64_t m_every = 10000;
    const std::atomic_bool *m_cancel = nullptr;
};

} // namespace iot
