// SPDX-License-Identifier: MIT
#include "pipeline/flushpolicy.h"

#include <algorithm>
#include <cmath>

namespace iot {

FlushPolicy::FlushPolicy(std::size_t batchSize, double flushIntervalSec)
    : m_batchSize(std::max<std::size_t>(1, batchSize)),
      m_intervalUs(std::max<std::int64_t>(1000, std::llround(flushIntervalSec * 1e6)))
{
}

FlushPolicy::Action FlushPolicy::afterAppend(std::size_t count) const
{
    if (count >= m_batchSize)
        return Action::Flush;
    return count == 1 ? Action::StartTimer : Action::None;
}

int FlushPolicy::msUntilDue(std::int64_t firstUs, std::int64_t nowUs) const
{
    const std::int64_t left = firstUs + m_intervalUs - nowUs;
    if (left <= 0)
        return 0;
    return static_cast<int>((left + 999) / 1000);
}

} // namespace iot
