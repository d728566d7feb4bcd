// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/batch.h"

#include <QString>

#include <cstdint>
#include <vector>

namespace iot {

/// What one write transaction did; handed to observers on the writer thread right after it ended. The pointers are
/// valid only during the call.
struct TransactionReport
{
    enum class Outcome { Committed, Retry, DataError };

    Outcome outcome = Outcome::Committed;
    const Batch *batch = nullptr;
    const std::vector<std::uint32_t> *rows = nullptr;  // indexes into batch stored as readings (Committed only)
    std::size_t deadLetters = 0;
    std::size_t payloadBytes = 0;
    std::int64_t startUs = 0;                          // wall clock, µs since epoch
    std::int64_t endUs = 0;
    QString table;
    QString error;                                     // Retry / DataError: the database's message
    int attempt = 1;                                   // 1 for the first try of these rows, 2+ after retries
};

/// A per-transaction hook for metrics, tracing and per-topic statistics, called on the writer thread; it must be
/// quick and thread-safe towards whatever reads it elsewhere. Not a QObject: no per-row or per-message signals.
class PipelineObserver
{
public:
    virtual ~PipelineObserver();
    virtual void transactionFinished(const TransactionReport &report) = 0;
};

} // namespace iot
