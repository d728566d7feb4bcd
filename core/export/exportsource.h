// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "util/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <memory>

namespace iot {

/// A read-only connection that streams one query's rows forward, one at a time, in constant memory: PostgreSQL
/// through libpq's single-row mode (in a read-only session), SQLite through one stepped statement on a file opened
/// read-only. Never creates or alters anything. Lives on the thread that runs the export.
class ExportSource
{
public:
    virtual ~ExportSource();

    /// Connects as `config` says (the PostgreSQL or SQLite one). The error is the database's own words.
    static Result<std::unique_ptr<ExportSource>> connect(const DatabaseConfig &config);

    /// Sends the query; parameters are bound as text.
    virtual Status start(const QByteArray &sql, const QList<QByteArray> &params) = 0;
    enum class Step { Row, Done, Failed };
    virtual Step next() = 0;
    /// Column `i` of the current row as text (empty for NULL); valid until the next call of next().
    virtual QByteArrayView value(int i) = 0;
    /// Abandons the query (cancel): the server stops sending, nothing is left pending.
    virtual void abort() = 0;
    /// Stops the running query from ANY thread (a window's cancel while the query runs on a worker): the server
    /// (PQcancel) or the library (sqlite3_interrupt) ends it, and the pending next() returns Failed.
    virtual void interrupt() = 0;
    virtual QString error() const = 0;
};

} // namespace iot
