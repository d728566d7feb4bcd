// SPDX-License-Identifier: MIT
#include "history/historycsv.h"

#include "export/csvwriter.h"
#include "util/timeformat.h"

#include <charconv>

namespace iot {

bool HistoryCsv::write(const HistoryResult &result, QIODevice *out)
{
    CsvWriter csv(out);
    for (const char *h : {"bucket_start", "bucket_end", "topic", "min", "mean", "max", "count"})
        csv.field(h);
    csv.endRecord();
    char time[TimeFormat::IsoLength];
    char number[32];
    const auto num = [&](double v) {
        const auto r = std::to_chars(number, number + sizeof number, v);
        csv.field(QByteArrayView(number, r.ptr - number));
    };
    for (const HistorySeries &s : result.series) {
        const QByteArray topic = s.topic.toUtf8();
        for (const HistoryBucket &b : s.buckets) {
            TimeFormat::isoUtc(b.startUs, time);
            csv.field(QByteArrayView(time, TimeFormat::IsoLength));
            TimeFormat::isoUtc(std::min(b.startUs + result.bucketUs, result.toUs), time);
            csv.field(QByteArrayView(time, TimeFormat::IsoLength));
            csv.field(topic);
            num(b.min);
            num(b.mean);
            num(b.max);
            csv.field(QByteArray::number(qint64(b.count)));
            csv.endRecord();
        }
    }
    return csv.flush() && !csv.failed();
}

} // namespace iot
