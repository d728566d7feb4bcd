// SPDX-License-Identifier: MIT
#pragma once

#include "history/historyrequest.h"

#include <QByteArrayView>
#include <QList>

#include <cstddef>
#include <cstdint>

struct sqlite3;

namespace iot {

/// The history query's per-row work as SQL functions in SQLite's own engine, registered on one connection (the
/// history runner's read-only one): SQLite has no hash aggregate, so a GROUP BY over (topic, bucket) sorts every
/// row, and json_type + json_extract parse each payload twice. Both cost more than the rest of the query together.
///   iot_number(payload, pointer)  the RFC 6901 pointer's value as INTEGER or REAL; NULL when missing, not a number,
///                                 or the payload is not text (JsonPointer on the raw bytes, no document built)
///   iot_buckets(topic, time, value, from_us, to_us, width_us)
///                                 an aggregate: per topic, the buckets [from + k·width, from + (k+1)·width) with the
///                                 min, max, sum and count of the numeric values (others skipped), as one BLOB that
///                                 decode() reads; time is ISO-8601 UTC text (the stored form) or µs as INTEGER
/// Functions are stateless apart from each aggregate's own state; any thread that owns the connection.
namespace SqliteHistoryFunctions {

/// Registers both functions on `db`; false (and SQLite's message in `error`) if SQLite refused.
bool install(sqlite3 *db, QString *error);

/// ISO-8601 UTC ("2026-11-27T02:21:05.123456Z"; a fraction of 1–9 digits or none, truncated to µs; a final 'Z' or
/// none; 'T' or ' ' between date and time) → µs since the epoch. False for anything else (other offsets too).
bool parseTimeUs(const char *text, std::size_t size, std::int64_t &us);

/// The series in iot_buckets's BLOB, topics in byte order and buckets in time order; the mean is sum / count.
/// False if the BLOB is malformed.
bool decode(QByteArrayView blob, std::int64_t fromUs, std::int64_t widthUs, QList<HistorySeries> &series);

} // namespace SqliteHistoryFunctions
} // namespace iot
