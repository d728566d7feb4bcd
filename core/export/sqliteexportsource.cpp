// SPDX-License-Identifier: MIT
#include "export/sqliteexportsource.h"

#include <QFileInfo>

#include <sqlite3.h>

#include <charconv>

namespace iot {

struct SqliteExportSource::Private
{
    sqlite3 *db = nullptr;
    sqlite3_stmt *stmt = nullptr;
    char number[32];  // a REAL's text, for value()
};

SqliteExportSource::SqliteExportSource() : d(std::make_unique<Private>()) {}

SqliteExportSource::~SqliteExportSource()
{
    sqlite3_finalize(d->stmt);
    sqlite3_close(d->db);
}

Status SqliteExportSource::open(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const int rc = sqlite3_open_v2(absolute.toUtf8().constData(), &d->db, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
        m_error = QStringLiteral("SQLite %1: %2").arg(absolute, QString::fromUtf8(sqlite3_errmsg(d->db)));
        return Error{m_error};
    }
    // The subscriber writes in WAL mode, so it does not block us; a checkpoint might, briefly.
    sqlite3_busy_timeout(d->db, 5000);
    // SQLite's LIKE ignores ASCII case by default; the topic prefix filter must not (`Sensors/` is not `sensors/`).
    sqlite3_exec(d->db, "PRAGMA case_sensitive_like = ON", nullptr, nullptr, nullptr);
    return Ok{};
}

Status SqliteExportSource::start(const QByteArray &sql, const QList<QByteArray> &params)
{
    sqlite3_finalize(d->stmt);  // the previous query's, when the source runs more than one (history)
    d->stmt = nullptr;
    if (sqlite3_prepare_v2(d->db, sql.constData(), static_cast<int>(sql.size()), &d->stmt, nullptr) != SQLITE_OK) {
        m_error = QString::fromUtf8(sqlite3_errmsg(d->db));
        return Error{m_error};
    }
    for (int i = 0; i < params.size(); ++i)
        sqlite3_bind_text(d->stmt, i + 1, params[i].constData(), static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
    return Ok{};
}

ExportSource::Step SqliteExportSource::next()
{
    switch (sqlite3_step(d->stmt)) {
    case SQLITE_ROW:
        return Step::Row;
    case SQLITE_DONE:
        return Step::Done;
    default:
        m_error = QString::fromUtf8(sqlite3_errmsg(d->db));
        return Step::Failed;
    }
}

QByteArrayView SqliteExportSource::value(int i)
{
    if (sqlite3_column_type(d->stmt, i) == SQLITE_FLOAT) {
        // sqlite3_column_text would print 15 significant digits: 0.1 + 0.2 would come out as 0.3.
        const auto r = std::to_chars(d->number, d->number + sizeof d->number, sqlite3_column_double(d->stmt, i));
        return QByteArrayView(d->number, r.ptr - d->number);
    }
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(d->stmt, i));
    return QByteArrayView(text, text ? sqlite3_column_bytes(d->stmt, i) : 0);
}

void SqliteExportSource::abort()
{
    sqlite3_finalize(d->stmt);
    d->stmt = nullptr;
}

sqlite3 *SqliteExportSource::handle() const
{
    return d->db;
}

void SqliteExportSource::interrupt()
{
    sqlite3_interrupt(d->db);  // thread-safe while the connection is open (it outlives every query)
}

} // namespace iot
