// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "export/exportrequest.h"
#include "export/fieldextractor.h"
#include "util/result.h"

#include <QByteArray>
#include <QList>
#include <QStringList>

#include <vector>

namespace iot {

/// One export as SQL and columns, for one dialect: the SELECT (its filters bound as parameters), the CSV header,
/// and how each CSV column is made from the selected values. Built from an ExportRequest and the config; the
/// request's mistakes come back as the Error (exit 2). Pure: touches no database.
struct ExportQuery
{
    enum class Dialect { Postgres, Sqlite };
    /// How one CSV column comes from the result row.
    struct Column
    {
        enum class Kind {
            Text,      // the value as the database gives it (NULL: empty)
            EpochUs,   // PostgreSQL time selected as µs since the epoch → ISO-8601 UTC
            Boolean,   // t/f (PostgreSQL) or 1/0 (SQLite) → true/false
            Field,     // the `field`-th FieldExtractor over the payload column
        };
        Kind kind = Kind::Text;
        int source = 0;   // result column
        int field = -1;
    };

    QByteArray sql;
    QList<QByteArray> params;
    QStringList header;
    std::vector<Column> columns;
    std::vector<FieldExtractor> fields;
    QStringList topicFilters;  // checked exactly in C++ (when one has a wildcard) on result column `topicSource`
    int topicSource = -1;

    static Result<ExportQuery> make(const Config &config, const ExportRequest &request, Dialect dialect);
    /// `$1` (PostgreSQL) or `?1` (SQLite) for the 0-based parameter `n`.
    static QString pgPlaceholder(int n);
    static QString sqlitePlaceholder(int n);
};

} // namespace iot
