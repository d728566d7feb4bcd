// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/mapper.h"

#include <QByteArrayView>
#include <QString>

#include <cstdint>

class QJsonValue;

namespace iot {

/// Appends one column's typed value to a rule's MappedRows: from a parsed JSON value (the mapper's reference path),
/// from a value's raw JSON text (its fast path, which declines whatever it cannot convert exactly as the reference
/// would), or from text (the topic, a topic segment); words the error of a value that does not fit the column.
/// Used by Mapper on the writer thread, one converter per message.
class ValueConverter final
{
public:
    explicit ValueConverter(MappedRows &out) : m_out(out) {}

    /// A value from JSON; undefined = missing. False (error() says why) when it does not fit the column.
    bool fromJson(const ColumnMapping &c, const QJsonValue &v);
    /// A value's raw JSON text (empty: missing). False when it cannot produce exactly what fromJson() would from the
    /// parsed value — including every error, whose message the reference path writes.
    bool fromRawJson(const ColumnMapping &c, QByteArrayView raw);
    /// A value from text (topic, topic segment): converted to numbers when the column wants one.
    bool fromText(const ColumnMapping &c, QByteArrayView s);

    void text(QByteArrayView bytes, MappedValue::Kind kind);
    void integer(MappedValue::Kind kind, std::int64_t i);
    void real(double d);
    void null();
    /// Sets error() for column `c` and returns false.
    bool fail(const ColumnMapping &c, const QString &why);
    const QString &error() const { return m_error; }

    /// Parses an ISO-8601 date-time ("2026-11-27T02:21:05.123Z", offsets allowed, no zone = UTC) to µs.
    static bool parseIso8601(QByteArrayView text, std::int64_t &epochUs);

private:
    MappedRows &m_out;
    QString m_error;
};

} // namespace iot
