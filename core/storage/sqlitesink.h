// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "storage/sqlsink.h"

#include <memory>

namespace iot {

/// Stores batches in an SQLite file (WAL mode) with statements prepared once and bound per row, one transaction
/// per write, through the sqlite3 handle of Qt's QSQLITE driver. Lives on the writer thread.
class SqliteSink final : public SqlSink
{
public:
    /// `key` names this spool's row in the checkpoint table (an empty spool id: no spool, no checkpoint).
    SqliteSink(const DatabaseConfig &config, QString connectionName, CheckpointKey key = {},
                 QList<MappingRule> mappings = {});
    ~SqliteSink() override;
    Q_DISABLE_COPY_MOVE(SqliteSink)

    Status open() override;
    void close() override;
    bool isOpen() const override;
    WriteOutcome write(const WriteSet &set) override;
    Result<CheckpointClaim> claimCheckpoint() override;
    QString describe() const override;
    QString table() const override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
