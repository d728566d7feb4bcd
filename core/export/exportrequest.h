// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace iot {

/// What to export, as the command line (or a window) asks for it; checked against the config by ExportQuery.
struct ExportRequest
{
    QStringList topics;                    // MQTT filters, any of which a row's topic must match; empty: all
    QString table;                         // a [[mappings]] table; empty: the raw readings table
    QList<QPair<QString, QString>> fields; // raw readings: (column name, JSON pointer); none: the whole payload
    std::optional<std::int64_t> fromUs;    // inclusive, µs since the epoch (UTC)
    std::optional<std::int64_t> toUs;      // exclusive
};

/// How an export ended, for the one place that turns it into an exit code (app/exitcode.*).
struct ExportOutcome
{
    enum class Ending {
        Done,            // every row written
        BadRequest,      // the request does not fit the config (unknown table, --field on a table, ...)
        DatabaseFailed,  // cannot connect, or the query failed part-way
        OutputFailed,    // the output refused a write
        Cancelled,
    };
    Ending ending = Ending::Done;
    std::int64_t rows = 0;  // data rows written (the header not counted)
    QString message;        // what went wrong, for the operator
};

} // namespace iot
