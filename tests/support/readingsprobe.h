// SPDX-License-Identifier: MIT
#pragma once

#include "testenv.h"

#include <QMap>
#include <QPair>
#include <QString>

namespace iot::test {

/// Reads what the subscriber stored, through its own connection: row counts, the sequence numbers the simulator
/// put in each payload, and dead letters.
class ReadingsProbe final
{
public:
    /// Drops and re-creates database `name` on the test server, then connects to it.
    static ReadingsProbe freshPostgres(const Servers &servers, const QString &name);
    static ReadingsProbe sqlite(const QString &path);
    ~ReadingsProbe();
    ReadingsProbe(ReadingsProbe &&other) noexcept;
    ReadingsProbe &operator=(ReadingsProbe &&) = delete;
    Q_DISABLE_COPY(ReadingsProbe)

    bool isPostgres() const { return m_postgres; }
    QString error() const { return m_error; }
    /// Rows in `table`; -1 when it does not exist (yet) or on error.
    qint64 count(const QString &table = QStringLiteral("readings")) const;
    /// seq → how often it was stored.
    QMap<qint64, int> seqCounts(const QString &table = QStringLiteral("readings")) const;
    /// (topic, reason) of every dead letter, in insertion order.
    QList<QPair<QString, QString>> deadLetters(const QString &table = QStringLiteral("dead_letters")) const;
    /// Runs one query and returns the first column of the first row as text (for ad-hoc checks).
    QString scalar(const QString &sql) const;
    /// Runs statements that return no rows (DDL, several separated by ';' on PostgreSQL); false with error() set.
    bool exec(const QString &sql) const;
    /// value of an integer `column` → how often it was stored (seqCounts() for a typed table).
    QMap<qint64, int> columnCounts(const QString &table, const QString &column) const;

private:
    ReadingsProbe(QString connection, bool postgres);
    QString m_connection;
    bool m_postgres = false;
    mutable QString m_error;
};

/// Compares stored sequence numbers with the expected range [first, last].
struct SeqReport
{
    qint64 expected = 0;
    qint64 distinct = 0;
    qint64 missing = 0;
    qint64 duplicated = 0;   // extra copies beyond the first
    qint64 unexpected = 0;   // seq outside the range
    QString firstMissing;

    static SeqReport check(const QMap<qint64, int> &counts, qint64 first, qint64 last);
    QString describe() const;
};

} // namespace iot::test
