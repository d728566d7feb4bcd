// SPDX-License-Identifier: MIT
#pragma once

#include "export/exportsource.h"

struct sqlite3;

namespace iot {

/// ExportSource over SQLite: the file opened read-only (a missing file is an error, never created) and one
/// statement stepped forward; REAL values written as the shortest text that reads back as the same double.
class SqliteExportSource final : public ExportSource
{
public:
    SqliteExportSource();
    ~SqliteExportSource() override;
    Q_DISABLE_COPY_MOVE(SqliteExportSource)

    Status open(const QString &path);
    Status start(const QByteArray &sql, const QList<QByteArray> &params) override;
    Step next() override;
    QByteArrayView value(int i) override;
    void abort() override;
    void interrupt() override;
    QString error() const override { return m_error; }
    /// The open connection, for SQL functions of our own (history/sqlitehistoryfunctions.h); null before open().
    sqlite3 *handle() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
    QString m_error;
};

} // namespace iot
