// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/batch.h"
#include "pipeline/pipelineobserver.h"

#include <QByteArray>
#include <QList>

#include <numeric>
#include <utility>
#include <vector>

namespace iot::test {

/// A committed transaction made by hand, for feeding PipelineObservers in tests without an engine.
struct CommittedBatch
{
    Batch batch;
    std::vector<std::uint32_t> rows;

    void add(const QByteArray &topic, const QByteArray &payload, std::int64_t receivedAtUs)
    {
        batch.append(topic, payload, receivedAtUs);
        rows.push_back(std::uint32_t(rows.size()));
    }

    TransactionReport report(std::int64_t endUs) const
    {
        TransactionReport r;
        r.outcome = TransactionReport::Outcome::Committed;
        r.batch = &batch;
        r.rows = &rows;
        r.startUs = endUs - 1000;
        r.endUs = endUs;
        return r;
    }
};

} // namespace iot::test
