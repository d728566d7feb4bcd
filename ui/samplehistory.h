// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QPointF>

#include <deque>
#include <utility>
#include <vector>

namespace iot {

/// One point in time of the charts, taken from an engine snapshot.
struct ChartSample
{
    qint64 tUs = 0;             // snapshot time, µs since epoch
    double receivedPerSec = 0;
    double writtenPerSec = 0;
    double inFlight = 0;        // received, not yet committed (in memory)
    double queued = 0;          // of those, handed to the writer
};

/// The charts' memory: every snapshot of the last hour (a few ten thousand samples) and a min/max decimation so
/// that a long window draws a few hundred points without hiding peaks. Used on the GUI thread.
class SampleHistory final
{
public:
    using Field = double ChartSample::*;

    explicit SampleHistory(qint64 keepUs = qint64(61) * 60 * 1000000);

    void add(const ChartSample &sample);
    void clear() { m_samples.clear(); }
    std::size_t size() const { return m_samples.size(); }
    qint64 latestUs() const { return m_samples.empty() ? 0 : m_samples.back().tUs; }
    qint64 earliestUs() const { return m_samples.empty() ? 0 : m_samples.front().tUs; }

    /// Points (x: ms since epoch) of `field` in [fromUs, toUs]; past `maxPoints`, the minimum and maximum of each
    /// of maxPoints / 2 equal time buckets, in time order.
    QList<QPointF> points(Field field, qint64 fromUs, qint64 toUs, int maxPoints) const;
    double maximum(Field field, qint64 fromUs, qint64 toUs) const;
    /// The silences in [fromUs, toUs]: each pair of neighbouring samples more than `minGapUs` apart, as (time of
    /// the last sample before, time of the first after), oldest first; at most `maxGaps` (the newest ones).
    /// Found on the samples themselves, not on decimated points (a long window's buckets are wider than a gap).
    std::vector<std::pair<qint64, qint64>> gaps(qint64 fromUs, qint64 toUs, qint64 minGapUs, int maxGaps) const;

private:
    qint64 m_keepUs;
    std::deque<ChartSample> m_samples;
};

} // namespace iot
