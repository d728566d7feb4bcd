// SPDX-License-Identifier: MIT
#include "samplehistory.h"

#include <algorithm>

namespace iot {
namespace {

auto firstAtOrAfter(const std::deque<ChartSample> &samples, qint64 tUs)
{
    return std::lower_bound(samples.begin(), samples.end(), tUs,
                            [](const ChartSample &s, qint64 t) { return s.tUs < t; });
}

} // namespace

SampleHistory::SampleHistory(qint64 keepUs) : m_keepUs(keepUs) {}

void SampleHistory::add(const ChartSample &sample)
{
    // A clock step backwards would break the binary searches: start over rather than mis-order.
    if (!m_samples.empty() && sample.tUs < m_samples.back().tUs)
        m_samples.clear();
    m_samples.push_back(sample);
    while (!m_samples.empty() && m_samples.front().tUs < sample.tUs - m_keepUs)
        m_samples.pop_front();
}

QList<QPointF> SampleHistory::points(Field field, qint64 fromUs, qint64 toUs, int maxPoints) const
{
    QList<QPointF> out;
    auto it = firstAtOrAfter(m_samples, fromUs);
    const auto end = std::upper_bound(it, m_samples.end(), toUs,
                                      [](qint64 t, const ChartSample &s) { return t < s.tUs; });
    const auto n = std::distance(it, end);
    if (n <= 0)
        return out;
    const auto x = [](const ChartSample &s) { return double(s.tUs / 1000); };
    if (n <= maxPoints || maxPoints < 4) {
        out.reserve(n);
        for (; it != end; ++it)
            out.append(QPointF(x(*it), (*it).*field));
        return out;
    }
    const int buckets = maxPoints / 2;
    const double width = double(toUs - fromUs) / buckets;
    out.reserve(maxPoints);
    while (it != end) {
        const auto bucket = qint64((it->tUs - fromUs) / width);
        const qint64 bucketEnd = fromUs + qint64((bucket + 1) * width);
        auto lo = it, hi = it;
        for (; it != end && it->tUs < bucketEnd; ++it) {
            if ((*it).*field < (*lo).*field)
                lo = it;
            if ((*it).*field > (*hi).*field)
                hi = it;
        }
        if (lo == hi) {
            out.append(QPointF(x(*lo), (*lo).*field));
        } else {
            const auto first = lo->tUs < hi->tUs ? lo : hi;
            const auto second = lo->tUs < hi->tUs ? hi : lo;
            out.append(QPointF(x(*first), (*first).*field));
            out.append(QPointF(x(*second), (*second).*field));
        }
        if (it == lo && it == hi)
            ++it;   // unreachable in practice (a bucket always holds `it`), but never loop forever
    }
    return out;
}

double SampleHistory::maximum(Field field, qint64 fromUs, qint64 toUs) const
{
    double m = 0;
    for (auto it = firstAtOrAfter(m_samples, fromUs); it != m_samples.end() && it->tUs <= toUs; ++it)
        m = std::max(m, (*it).*field);
    return m;
}

std::vector<std::pair<qint64, qint64>> SampleHistory::gaps(qint64 fromUs, qint64 toUs, qint64 minGapUs,
                                                         int maxGaps) const
{
    std::vector<std::pair<qint64, qint64>> out;
    auto it = firstAtOrAfter(m_samples, fromUs);
    if (it == m_samples.end())
        return out;
    for (auto next = std::next(it); next != m_samples.end() && next->tUs <= toUs; it = next++)
        if (next->tUs - it->tUs > minGapUs)
            out.emplace_back(it->tUs, next->tUs);
    if (maxGaps >= 0 && int(out.size()) > maxGaps)
        out.erase(out.begin(), out.end() - maxGaps);
    return out;
}

} // namespace iot
