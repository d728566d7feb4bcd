// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace iot {

/// The tables and indexes [[mappings]] rules need, in PostgreSQL and SQLite, and the check of an existing table
/// against a rule, so a conflicting schema is refused before anything is created. Pure functions.
namespace MappingSchema {

enum class Dialect { Postgres, Sqlite };

struct ExistingColumn
{
    QString name;
    QString type;       // information_schema.columns.data_type, or SQLite's declared type
    bool notNull = false;
    bool hasDefault = false;
};

QString sqlType(ColumnMapping::Type type, Dialect dialect);
/// CREATE TABLE IF NOT EXISTS, the unique index (idempotency key) and an index on the time column.
QStringList createStatements(const MappingRule &rule, Dialect dialect);
/// What stops the rule from writing into an existing table; empty when it fits.
QStringList conflicts(const MappingRule &rule, const QList<ExistingColumn> &existing, Dialect dialect);
/// TimescaleDB: turn the rule's table into a hypertable on its time column (idempotent).
QString hypertableStatement(const MappingRule &rule);

} // namespace MappingSchema
} // namespace iot
