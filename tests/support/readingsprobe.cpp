// SPDX-License-Identifier: MIT
#include "readingsprobe.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace iot::test {
namespace {

QString uniqueName(const char *prefix)
{
    return QLatin1String(prefix) + QUuid::createUuid().toString(QUuid::Id128);
}

QSqlDatabase pgConnection(const Servers &s, const QString &connection, const QString &database)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
    db.setHostName(s.pgHost);
    db.setPort(s.pgPort);
    db.setUserName(s.pgUser);
    db.setPassword(s.pgPassword);
    db.setDatabaseName(database);
    return db;
}

} // namespace

ReadingsProbe::ReadingsProbe(QString connection, bool postgres) : m_connection(std::move(connection)), m_postgres(postgres)
{
}

ReadingsProbe::ReadingsProbe(ReadingsProbe &&other) noexcept
    : m_connection(std::exchange(other.m_connection, QString())), m_postgres(other.m_postgres),
      m_error(std::move(other.m_error))
{
}

ReadingsProbe::~ReadingsProbe()
{
    if (m_connection.isEmpty())
        return;
    QSqlDatabase::database(m_connection, false).close();
    QSqlDatabase::removeDatabase(m_connection);
}

ReadingsProbe ReadingsProbe::freshPostgres(const Servers &s, const QString &name)
{
    {
        const QString admin = uniqueName("admin");
        {
            QSqlDatabase db = pgConnection(s, admin, s.pgDatabase);
            if (db.open()) {
                QSqlQuery q(db);
                // Test database names are ours and plain identifiers.
                q.exec(QStringLiteral("DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)").arg(name));
                q.exec(QStringLiteral("CREATE DATABASE \"%1\"").arg(name));
            }
            db.close();
        }
        QSqlDatabase::removeDatabase(admin);
    }
    const QString conn = uniqueName("probe");
    QSqlDatabase db = pgConnection(s, conn, name);
    ReadingsProbe p(conn, true);
    if (!db.open())
        p.m_error = db.lastError().text();
    return p;
}

ReadingsProbe ReadingsProbe::sqlite(const QString &path)
{
    const QString conn = uniqueName("probe");
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), conn);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    ReadingsProbe p(conn, false);
    if (!db.open())
        p.m_error = db.lastError().text();
    return p;
}

QString ReadingsProbe::scalar(const QString &sql) const
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    if (!q.exec(sql) || !q.next()) {
        m_error = q.lastError().text();
        return {};
    }
    return q.value(0).toString();
}

bool ReadingsProbe::exec(const QString &sql) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(sql)) {
        m_error = q.lastError().text();
        return false;
    }
    return true;
}

QMap<qint64, int> ReadingsProbe::columnCounts(const QString &table, const QString &column) const
{
    QMap<qint64, int> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT %1, count(*) FROM %2 GROUP BY 1").arg(column, table))) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.insert(q.value(0).toLongLong(), q.value(1).toInt());
    return out;
}

qint64 ReadingsProbe::count(const QString &table) const
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.isOpen() && !db.open())
        return -1;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT count(*) FROM %1").arg(table)) || !q.next()) {
        m_error = q.lastError().text();
        // A server restarted under us: reconnect on the next poll.
        if (m_postgres)
            db.close();
        return -1;
    }
    return q.value(0).toLongLong();
}

QMap<qint64, int> ReadingsProbe::seqCounts(const QString &table) const
{
    QMap<qint64, int> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    const QString sql = m_postgres
        ? QStringLiteral("SELECT (payload->>'seq')::bigint, count(*) FROM %1 GROUP BY 1").arg(table)
        : QStringLiteral("SELECT json_extract(payload, '$.seq'), count(*) FROM %1 GROUP BY 1").arg(table);
    if (!q.exec(sql)) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.insert(q.value(0).toLongLong(), q.value(1).toInt());
    return out;
}

QList<QPair<QString, QString>> ReadingsProbe::deadLetters(const QString &table) const
{
    QList<QPair<QString, QString>> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT topic, reason FROM %1 ORDER BY id").arg(table))) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toString()});
    return out;
}

SeqReport SeqReport::check(const QMap<qint64, int> &counts, qint64 first, qint64 last)
{
    SeqReport r;
    r.expected = last - first + 1;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (it.key() < first || it.key() > last) {
            r.unexpected += it.value();
            continue;
        }
        ++r.distinct;
        r.duplicated += it.value() - 1;
    }
    r.missing = r.expected - r.distinct;
    for (qint64 s = first; s <= last && r.missing > 0; ++s) {
        if (!counts.contains(s)) {
            r.firstMissing = QString::number(s);
            break;
        }
    }
    return r;
}

QString SeqReport::describe() const
{
    return QStringLiteral("expected %1, distinct %2, missing %3 (first %4), duplicated %5, unexpected %6")
        .arg(expected)
        .arg(distinct)
        .arg(missing)
        .arg(firstMissing.isEmpty() ? QStringLiteral("-") : firstMissing)
        .arg(duplicated)
        .arg(unexpected);
}

} // namespace iot::test
