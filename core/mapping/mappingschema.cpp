// SPDX-License-Identifier: MIT
#include "mapping/mappingschema.h"

#include "storage/sqlsink.h"

namespace iot::MappingSchema {
namespace {

QString indexName(const MappingRule &rule, const QString &suffix)
{
    return SqlSink::quoteIdentifier(SqlSink::baseName(rule.table) + suffix);
}

QString normalise(const QString &type)
{
    return type.trimmed().toLower();
}

} // namespace

QString sqlType(ColumnMapping::Type type, Dialect dialect)
{
    using T = ColumnMapping::Type;
    const bool pg = dialect == Dialect::Postgres;
    switch (type) {
    case T::Integer: return pg ? QStringLiteral("bigint") : QStringLiteral("INTEGER");
    case T::Double: return pg ? QStringLiteral("double precision") : QStringLiteral("REAL");
    case T::Text: return pg ? QStringLiteral("text") : QStringLiteral("TEXT");
    case T::Boolean: return pg ? QStringLiteral("boolean") : QStringLiteral("INTEGER");
    case T::Timestamptz: return pg ? QStringLiteral("timestamp with time zone") : QStringLiteral("TEXT");
    case T::Jsonb: return pg ? QStringLiteral("jsonb") : QStringLiteral("TEXT");
    }
    return {};
}

QStringList createStatements(const MappingRule &rule, Dialect dialect)
{
    QStringList cols;
    for (const ColumnMapping &c : rule.columns)
        cols << SqlSink::quoteIdentifier(c.name) + QLatin1Char(' ') + sqlType(c.type, dialect)
                + (c.required ? QStringLiteral(" NOT NULL") : QString());
    const QString table = SqlSink::quoteIdentifier(rule.table);
    QStringList out;
    out << QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (\n    %2\n)").arg(table, cols.join(QStringLiteral(",\n    ")));
    if (!rule.unique.isEmpty()) {
        QStringList keys;
        for (const QString &u : rule.unique)
            keys << SqlSink::quoteIdentifier(u);
        out << QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS %1 ON %2 (%3)")
                   .arg(indexName(rule, QStringLiteral("_unique_idx")), table, keys.join(QStringLiteral(", ")));
    }
    if (!rule.timeColumn.isEmpty() && !rule.hypertable)  // TimescaleDB indexes the time column itself
        out << QStringLiteral("CREATE INDEX IF NOT EXISTS %1 ON %2 (%3)")
                   .arg(indexName(rule, QStringLiteral("_") + rule.timeColumn + QStringLiteral("_idx")), table,
                        SqlSink::quoteIdentifier(rule.timeColumn));
    return out;
}

QStringList conflicts(const MappingRule &rule, const QList<ExistingColumn> &existing, Dialect dialect)
{
    QStringList problems;
    if (existing.isEmpty())
        return problems;  // the table does not exist yet
    for (const ColumnMapping &c : rule.columns) {
        const ExistingColumn *found = nullptr;
        for (const ExistingColumn &e : existing)
            if (e.name.compare(c.name, dialect == Dialect::Sqlite ? Qt::CaseInsensitive : Qt::CaseSensitive) == 0)
                found = &e;
        const QString want = sqlType(c.type, dialect);
        if (!found)
            problems << QStringLiteral("%1.%2: no such column in the existing table (the mapping wants %3)")
                            .arg(rule.table, c.name, want);
        else if (normalise(found->type) != normalise(want))
            problems << QStringLiteral("%1.%2: is %3 in the existing table, the mapping wants %4")
                            .arg(rule.table, c.name, found->type, want);
    }
    for (const ExistingColumn &e : existing) {
        bool mapped = false;
        for (const ColumnMapping &c : rule.columns)
            mapped = mapped || e.name.compare(c.name, Qt::CaseInsensitive) == 0;
        if (!mapped && e.notNull && !e.hasDefault)
            problems << QStringLiteral("%1.%2: NOT NULL without a default and not mapped: inserts would fail")
                            .arg(rule.table, e.name);
    }
    return problems;
}

QString hypertableStatement(const MappingRule &rule)
{
    // Values are our own validated identifiers, passed as text literals to the function.
    return QStringLiteral("SELECT create_hypertable('%1', '%2', if_not_exists => TRUE, migrate_data => TRUE)")
        .arg(SqlSink::quoteIdentifier(rule.table).replace(QLatin1Char('\''), QStringLiteral("''")), rule.timeColumn);
}

} // namespace iot::MappingSchema
