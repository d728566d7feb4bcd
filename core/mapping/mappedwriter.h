// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/mappingschema.h"
#include "storage/sqlsink.h"
#include "util/result.h"

#include <memory>

struct pg_conn;
struct sqlite3;

namespace iot {

/// Writes the mapped rows of a transaction into the [[mappings]] tables and prepares those tables: PostgreSQL by
/// binary COPY (through a temporary table and INSERT … ON CONFLICT DO NOTHING when the rule has a unique key),
/// SQLite by prepared INSERT (OR IGNORE). Used by the sinks on the writer thread, inside their transaction.
class MappedWriter final
{
public:
    MappedWriter(QList<MappingRule> rules, MappingSchema::Dialect dialect);
    ~MappedWriter();
    Q_DISABLE_COPY_MOVE(MappedWriter)

    bool isEmpty() const;
    /// Checks every rule against existing tables first (a conflict is a fatal Error naming each problem), then
    /// creates what is missing; hypertables need the timescaledb extension.
    Status prepare(pg_conn *conn);
    Status prepare(sqlite3 *db);
    /// Forget per-connection state (prepared statements, temporary tables) after the connection closed.
    void reset();
    WriteOutcome write(pg_conn *conn, const WriteSet &set);
    WriteOutcome write(sqlite3 *db, const WriteSet &set);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
