// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "storage/sqlsink.h"

#include <memory>

namespace iot {

/// Stores batches in PostgreSQL with binary COPY through the libpq connection inside Qt's QPSQL driver: one
/// round trip per table per transaction, values never spliced into SQL. Lives on the writer thread.
class PostgresSink final : public SqlSink
{
public:
    /// `key` names this spool's row in the checkpoint table (an empty spool id: no spool, no checkpoint).
    PostgresSink(const DatabaseConfig &config, QString connectionName, CheckpointKey key = {},
                 QList<MappingRule> mappings = {});
    ~PostgresSink() override;
    Q_DISABLE_COPY_MOVE(PostgresSink)

    Status open() override;
    void close() override;
    bool isOpen() const override;
    WriteOutcome write(const WriteSet &set) override;
    Result<CheckpointClaim> claimCheckpoint() override;
    Status ping() override;
    bool notAnswering() const override;
    void interrupt() override;
    QString describe() const override;
    QString table() const override;

    /// QPSQL's connect options for `config`: connect_timeout, sslmode, the TLS files (sslrootcert, sslcert,
    /// sslkey) quoted for libpq, application_name. Pure, for tests.
    static QString connectOptions(const DatabaseConfig &config);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
