// SPDX-License-Identifier: MIT
#pragma once

#include "storage/sqlsink.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace iot {

/// The bookkeeping of a transaction the database refused, split until the failure stands alone: halves a piece by
/// spool position (dead letters going with their rows), remembers which tables took rows since the split began, and
/// picks the other rows that probe whether a row failing alone is its own fault. No database here: BatchWriter
/// writes the pieces. Lives on the writer thread, owned by BatchWriter.
class Bisection final
{
public:
    /// A new split begins; `targets` tables can take rows (0: readings, 1 + n: the n-th [[mappings]] rule).
    void begin(std::size_t targets) { m_proven.assign(targets, false); }
    /// A piece of the split committed a row for `target`: that table takes rows.
    void noteCommitted(std::size_t target)
    {
        if (target < m_proven.size())
            m_proven[target] = true;
    }
    /// Whether `target` took a row since the split began.
    bool proven(std::size_t target) const { return target < m_proven.size() && m_proven[target]; }

    /// Splits `piece` (two rows or more) at its middle row by position, so both halves stay in spool order and the
    /// first half's checkpoint never covers a row of the second: the first half stays in `piece`, the second is
    /// returned. Both are marked `bisecting`.
    static WriteSet halve(WriteSet &piece);
    /// Up to `count` of `candidates`, spread over them from the first, preferring later ones; none repeated.
    static std::vector<std::uint32_t> probes(const std::vector<std::uint32_t> &candidates, int count);

private:
    std::vector<bool> m_proven;  // per target: rows committed since the split began
};

} // namespace iot
