// SPDX-License-Identifier: MIT
#include "storage/failureclass.h"

#include <sqlite3.h>

namespace iot::FailureClasses {

FailureClass fromSqlState(std::string_view s)
{
    if (s.size() != 5)
        return FailureClass::Connection;
    const std::string_view cls = s.substr(0, 2);
    if (s == "40002")
        return FailureClass::Rows;  // transaction_integrity_constraint_violation: a deferred constraint
    if (s == "55P03" || s == "55006" || s == "25P02" || s == "25P03")
        return FailureClass::Connection;
    if (cls == "08" || cls == "53" || cls == "57" || cls == "58" || cls == "40")
        return FailureClass::Connection;
    if (cls == "22" || cls == "23" || cls == "54" || cls == "P0")
        return FailureClass::Rows;
    return FailureClass::Unknown;
}

FailureClass fromSqliteCode(int code)
{
    switch (code & 0xFF) {
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return FailureClass::Rows;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
        return FailureClass::Connection;
    default:
        return FailureClass::Unknown;
    }
}

QByteArray sqliteCodeName(int code)
{
    static constexpr std::pair<int, const char *> Names[] = {
        {SQLITE_ERROR, "SQLITE_ERROR"},       {SQLITE_INTERNAL, "SQLITE_INTERNAL"}, {SQLITE_PERM, "SQLITE_PERM"},
        {SQLITE_ABORT, "SQLITE_ABORT"},       {SQLITE_BUSY, "SQLITE_BUSY"},         {SQLITE_LOCKED, "SQLITE_LOCKED"},
        {SQLITE_NOMEM, "SQLITE_NOMEM"},       {SQLITE_READONLY, "SQLITE_READONLY"}, {SQLITE_INTERRUPT, "SQLITE_INTERRUPT"},
        {SQLITE_IOERR, "SQLITE_IOERR"},       {SQLITE_CORRUPT, "SQLITE_CORRUPT"},   {SQLITE_FULL, "SQLITE_FULL"},
        {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"}, {SQLITE_PROTOCOL, "SQLITE_PROTOCOL"}, {SQLITE_SCHEMA, "SQLITE_SCHEMA"},
        {SQLITE_TOOBIG, "SQLITE_TOOBIG"},     {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
        {SQLITE_MISMATCH, "SQLITE_MISMATCH"}, {SQLITE_MISUSE, "SQLITE_MISUSE"},     {SQLITE_AUTH, "SQLITE_AUTH"},
        {SQLITE_RANGE, "SQLITE_RANGE"},       {SQLITE_NOTADB, "SQLITE_NOTADB"},
    };
    for (const auto &[c, n] : Names)
        if (c == (code & 0xFF))
            return QByteArray(n);
    return QByteArrayLiteral("SQLITE_") + QByteArray::number(code & 0xFF);
}

QString name(FailureClass c)
{
    switch (c) {
    case FailureClass::None: return QStringLiteral("none");
    case FailureClass::Connection: return QStringLiteral("connection");
    case FailureClass::Rows: return QStringLiteral("rows");
    case FailureClass::Unknown: return QStringLiteral("unknown");
    }
    return {};
}

} // namespace iot::FailureClasses
