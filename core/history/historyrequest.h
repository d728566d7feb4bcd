// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>

namespace iot {

/// One history plot as the window asks for it: topics (MQTT filters), one numeric field, a time range and how many
/// buckets at most. Checked against the config by HistoryQuery.
struct HistoryRequest
{
    QStringList topics;          // MQTT filters (`+`, `#`); empty: every topic
    QString table;               // a [[mappings]] table; empty: the raw readings table
    QString field;               // raw readings: a JSON pointer ("/temp"); mapped table: a numeric column's name
    std::int64_t fromUs = 0;     // inclusive, µs since the epoch (UTC)
    std::int64_t toUs = 0;       // exclusive
    int maxBuckets = 2000;
};

/// One bucket of one series: [startUs, startUs + width) and the numeric values in it (non-numbers skipped).
struct HistoryBucket
{
    std::int64_t startUs = 0;
    double min = 0;
    double mean = 0;
    double max = 0;
    std::int64_t count = 0;
};

/// One topic's buckets in time order (only buckets that hold a value).
struct HistorySeries
{
    QString topic;
    QList<HistoryBucket> buckets;
};

/// What one history query gave: the series, or why there are none.
struct HistoryResult
{
    enum class Ending {
        Done,
        BadRequest,      // the request does not fit the config (unknown table, not a numeric column, ...)
        DatabaseFailed,  // cannot connect, or the query failed
        Cancelled,
    };
    Ending ending = Ending::Done;
    QString message;
    std::int64_t fromUs = 0;
    std::int64_t toUs = 0;
    std::int64_t bucketUs = 0;
    QList<HistorySeries> series;
};

} // namespace iot
