// SPDX-License-Identifier: MIT
#pragma once

#include "export/exportsource.h"

namespace iot {

/// ExportSource over libpq: a session with default_transaction_read_only, the query sent with PQsendQueryParams
/// and read in single-row mode, so the client holds one row at a time however large the result.
class PgExportSource final : public ExportSource
{
public:
    PgExportSource();
    ~PgExportSource() override;
    Q_DISABLE_COPY_MOVE(PgExportSource)

    Status open(const DatabaseConfig &config);
    Status start(const QByteArray &sql, const QList<QByteArray> &params) override;
    Step next() override;
    QByteArrayView value(int i) override;
    void abort() override;
    void interrupt() override;
    QString error() const override { return m_error; }
    /// The server's version as libpq gives it (150020 for 15.20); 0 before open().
    int serverVersion() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
    QString m_error;
};

} // namespace iot
