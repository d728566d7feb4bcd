// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <string_view>

namespace iot {

/// What a failed write concerns, as far as the database's error code alone tells; the writer's bisection decides
/// the rest (one bad row, or a statement that no row gets through). Pure functions, any thread.
enum class FailureClass : std::uint8_t {
    None,        // no failure: committed
    Connection,  // the connection or the server's momentary state: reconnect and retry the same rows, unbounded
    Rows,        // the rows' contents by the code's own account: split the transaction at once to find them
    Unknown,     // anything else: retry the same rows a few times, then split as for Rows
};

namespace FailureClasses {

/// PostgreSQL SQLSTATE → class. An empty or malformed code (no result, the connection broke) is Connection.
/// Connection: 08 (connection), 53 (resources: disk full, out of memory, too many connections), 57 (operator
/// intervention, shutdown, query cancelled), 58 (system/I/O), 40 except 40002 (serialization failure, deadlock),
/// 55P03 lock timeout, 55006 object in use, 25P02/25P03 (our transaction was aborted, the idle session ended).
/// Rows: 22 (data exception), 23 and 40002 (integrity constraints), 54 (program limits such as an index row
/// larger than a b-tree page), P0 (PL/pgSQL RAISE in a trigger). Everything else (42 syntax/access/undefined
/// table, XX internal, 0A, …) is Unknown.
FailureClass fromSqlState(std::string_view sqlstate);
/// SQLite result code (extended codes are reduced to their primary code) → class. SQLite has no SQLSTATE;
/// Rows: CONSTRAINT, TOOBIG, MISMATCH, RANGE. Connection: BUSY, LOCKED, IOERR, FULL, CANTOPEN, NOMEM, PROTOCOL,
/// INTERRUPT. Everything else (ERROR — e.g. no such table —, READONLY, CORRUPT, AUTH, …) is Unknown.
FailureClass fromSqliteCode(int code);
/// SQLite's name for a result code ("SQLITE_CONSTRAINT"), stored where PostgreSQL stores its SQLSTATE.
QByteArray sqliteCodeName(int code);
/// "connection", "rows", "unknown" — for logs and traces.
QString name(FailureClass c);

} // namespace FailureClasses
} // namespace iot
