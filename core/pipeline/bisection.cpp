// SPDX-License-Identifier: MIT
#include "pipeline/bisection.h"

#include <algorithm>
#include <iterator>

namespace iot {

WriteSet Bisection::halve(WriteSet &piece)
{
    std::vector<std::uint32_t> rows(piece.good);
    for (const WriteSet::DeadLetter &dl : piece.dead)
        rows.push_back(dl.row);
    std::sort(rows.begin(), rows.end());
    const std::uint32_t midRow = rows[rows.size() / 2];  // > the piece's first row
    WriteSet second;
    second.batch = piece.batch;
    second.mapped = piece.mapped;
    second.bisecting = piece.bisecting = true;
    const auto g = std::partition_point(piece.good.begin(), piece.good.end(),
                                        [midRow](std::uint32_t i) { return i < midRow; });
    second.good.assign(g, piece.good.end());
    piece.good.erase(g, piece.good.end());
    const auto dl = std::stable_partition(piece.dead.begin(), piece.dead.end(),
                                          [midRow](const WriteSet::DeadLetter &x) { return x.row < midRow; });
    second.dead.assign(std::make_move_iterator(dl), std::make_move_iterator(piece.dead.end()));
    piece.dead.erase(dl, piece.dead.end());
    second.checkpoint = piece.checkpoint;
    piece.checkpoint = piece.batch->spoolEndOfFirst(midRow);
    return second;
}

std::vector<std::uint32_t> Bisection::probes(const std::vector<std::uint32_t> &candidates, int count)
{
    std::vector<std::uint32_t> picked;
    const std::size_t n = candidates.size();
    for (int k = 0; k < count && n > 0; ++k) {
        const std::uint32_t pick = candidates[std::min(n - 1, n * std::size_t(k) / std::size_t(count))];
        if (picked.empty() || picked.back() != pick)
            picked.push_back(pick);
    }
    return picked;
}

} // namespace iot
