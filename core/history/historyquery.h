// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "history/historyrequest.h"
#include "util/result.h"

#include <QByteArray>
#include <QList>
#include <QStringList>

#include <cstdint>

namespace iot {

/// One history plot as SQL for one dialect, the buckets' min, mean, max and count of the numeric values computed by
/// the database (non-numbers skipped): PostgreSQL's GROUP BY over (topic, bucket), or SQLite's one-pass aggregate
/// iot_buckets (history/sqlitehistoryfunctions.h); its parameters, and the bucket width.
/// Built from a HistoryRequest and the config; the request's mistakes come back as the Error. Pure.
struct HistoryQuery
{
    enum class Dialect { Postgres, Sqlite };

    QByteArray sql;
    QList<QByteArray> params;
    std::int64_t bucketUs = 1;
    QStringList topicFilters;  // when non-empty: result topics must match one of these exactly (wildcards)
    bool packed = false;       // SQLite: one row, one BLOB of every series (SqliteHistoryFunctions::decode)

    /// `serverVersion`: PostgreSQL's (150020 for 15.20); from 14 on, the bucket is date_bin()'s (cheaper per row),
    /// before it (and 0, unknown) the interval's date_part.
    static Result<HistoryQuery> make(const Config &config, const HistoryRequest &request, Dialect dialect,
                                     int serverVersion = 0);
    /// The bucket width for a range: the range split into at most `maxBuckets`, rounded up to a whole µs.
    static std::int64_t bucketWidth(std::int64_t fromUs, std::int64_t toUs, int maxBuckets);
    /// An RFC 6901 pointer as PostgreSQL's text[] path literal for `#>` ("/a/b~1c" → {"a","b/c"}).
    static QByteArray pgPath(const QString &pointer);
    /// The same pointer as an SQLite JSON path ("/a/0" → $."a"[0]); all-digit tokens are array indexes (the history
    /// query reads fields with iot_number now; tests compare it with SQLite's JSON through this). Empty
    /// when SQLite cannot spell it (a key with a double quote).
    static QByteArray sqlitePath(const QString &pointer);
};

} // namespace iot
