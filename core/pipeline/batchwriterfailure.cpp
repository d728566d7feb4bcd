// SPDX-License-Identifier: MIT
// BatchWriter's failure model (docs/architecture.md, "Failure model of the writer"): what a failed write leads to —
// a retry, a split of the transaction, a row set aside as a dead letter, or a table judged to refuse every row.
#include "pipeline/batchwriter.h"

#include "logging/log.h"
#include "pipeline/bisection.h"
#include "pipeline/pipelinecounters.h"

#include <algorithm>
#include <iterator>

namespace iot {
namespace {

auto logger()
{
    static auto l = log::get("db");
    return l;
}

} // namespace

bool BatchWriter::handleFailure(const WriteOutcome &out)
{
    WriteSet &piece = m_pieces.front();
    m_counters->writeFailures.fetch_add(1, std::memory_order_relaxed);
    // The rule (docs/architecture.md, "Failure model"): the connection's or the server's trouble is retried as long
    // as it lasts; an error of no known class is retried a few times; then, and at once for the rows' errors, the
    // transaction is split by position until the failure stands alone — and a row that fails alone is set aside only
    // if its table takes another row. When no other row gets through either, writing stops (Blocked) and is retried.
    if (out.failure == FailureClass::Connection) {
        ++m_attempt;
        scheduleRetry(out.message);
        return false;
    }
    if (out.failure == FailureClass::Unknown && !piece.bisecting && ++m_unknownFailures < UnknownRetriesBeforeSplit) {
        ++m_attempt;
        scheduleRetry(out.message);
        return false;
    }
    if (!piece.bisecting)
        m_bisection.begin(m_mapper ? std::size_t(m_mapper->rules().size()) + 1 : 1);  // a new split begins
    m_attempt = 1;
    m_unknownFailures = 0;
    if (piece.rows() > 1) {
        splitFront();
        return true;
    }
    if (piece.good.empty()) {
        // A lone dead letter the database refuses (its topic is not valid text, say): it cannot be stored anywhere.
        if (out.failure == FailureClass::Rows) {
            m_counters->drop(Reasons::Drop::DeadLetterRefused, piece.dead.size());
            logger()->error("{} dead letters could not be stored and are dropped: {}", piece.dead.size(), out.message);
            m_pieces.pop_front();
            noteHeldBytes();
            return true;
        }
        scheduleRetry({.cause = Cause::DeadLetterTableRefuses, .code = QString::fromLatin1(out.code),
                       .message = out.message});
        return false;
    }
    return judgeRow(out);
}

void BatchWriter::splitFront()
{
    // Split by position so the two halves stay in spool order: the checkpoint of the first never covers a row of
    // the second.
    WriteSet second = Bisection::halve(m_pieces.front());
    m_pieces.insert(std::next(m_pieces.begin()), std::move(second));
}

bool BatchWriter::judgeRow(const WriteOutcome &out)
{
    // One row failed alone, with an error that is not the connection's. It is the row's fault only if its table
    // takes another row: one committed since this split began, or one of up to ProbeRows others of the pending
    // rows (spread over them, preferring later ones) written and rolled back. If none gets through, the statement
    // fails for every row — a dropped permission, a trigger refusing all — and no row is to blame.
    WriteSet &piece = m_pieces.front();
    const std::uint32_t row = piece.good.front();
    const std::size_t t = target(row);
    bool poison = m_bisection.proven(t);
    bool extended = false;
    while (!poison) {
        std::vector<std::uint32_t> others;
        for (std::size_t p = 1; p < m_pieces.size(); ++p)
            for (const std::uint32_t i : m_pieces[p].good)
                if (target(i) == t)
                    others.push_back(i);
        if (others.empty() && !extended) {
            extended = true;
            if (extendWork())
                continue;
        }
        const std::vector<std::uint32_t> probes = Bisection::probes(others, ProbeRows);
        if (probes.empty())
            break;
        for (const std::uint32_t p : probes) {
            WriteSet probe;
            probe.batch = &m_pending;
            probe.mapped = m_mapper ? &m_mapped : nullptr;
            probe.good = {p};
            probe.dryRun = true;
            const WriteOutcome po = m_sink->write(probe);
            if (po.ok()) {
                poison = true;
                break;
            }
            if (po.failure == FailureClass::Connection) {
                ++m_attempt;
                scheduleRetry(po.message);
                return false;
            }
        }
        break;
    }
    const QString code = out.code.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromLatin1(out.code));
    if (!poison) {
        scheduleRetry({.cause = Cause::TableRefusesEveryRow, .table = targetName(t),
                       .code = QString::fromLatin1(out.code), .message = out.message});
        return false;
    }
    logger()->warn("database rejected a row{}: {}", code, out.message);
    // The piece is this one row (splitting goes down to single rows, dead letters included): now its dead letter.
    piece.dead.push_back({row, QStringLiteral("rejected by database%1: %2").arg(code, out.message),
                          Reasons::DeadLetter::DbRejected});
    piece.good.clear();
    reportDeadLetter(row, piece.dead.back().reason);
    return true;
}

} // namespace iot
