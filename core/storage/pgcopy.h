// SPDX-License-Identifier: MIT
#pragma once

#include "storage/sqlsink.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <string>

struct pg_conn;
struct pg_result;

namespace iot::pgcopy {

// Binary COPY encoding (PostgreSQL docs, "COPY — Binary Format"), appended to a reused buffer.
void putBe16(std::string &b, std::uint16_t v);
void putBe32(std::string &b, std::uint32_t v);
void putBe64(std::string &b, std::uint64_t v);
void putTimestamp(std::string &b, std::int64_t epochUs);   // a timestamptz field, from µs since the Unix epoch
void putBytes(std::string &b, const char *data, std::size_t n);
void putJsonb(std::string &b, QByteArrayView json);

/// The outcome for a failed result (or, with `res` null, the connection's error), prefixed with `what`; clears
/// `res`. Classified by its SQLSTATE (FailureClasses::fromSqlState), and always Connection once the connection is
/// down, whatever the code. The SQLSTATE is in the outcome's `code`.
WriteOutcome failure(pg_conn *c, pg_result *res, const QString &what);

/// One `COPY … FROM STDIN (FORMAT binary)`, streamed in chunks: the caller appends each row to buffer() and calls
/// rowDone(), which sends a full chunk. The buffer (and libpq's copy of each CopyData message) stays small however
/// large the transaction, and the server parses while we encode.
class Stream
{
public:
    static constexpr std::size_t ChunkBytes = 256 * 1024;

    /// `buffer` is the caller's, reused across transactions; `what` prefixes error messages ("COPY", a table).
    Stream(std::string &buffer, QString what) : m_buf(buffer), m_what(std::move(what)) {}

    /// Starts the COPY and writes the header.
    WriteOutcome begin(pg_conn *c, const QByteArray &command);
    std::string &buffer() { return m_buf; }
    /// After each row. False once a chunk could not be sent: stop encoding, end() says why.
    bool rowDone(pg_conn *c);
    /// Sends the rest and the trailer and collects the result. A chunk refused because the server had already
    /// rejected an earlier one shows here as that error: the rows' fault (split them) or the connection's (retry).
    WriteOutcome end(pg_conn *c);

private:
    bool send(pg_conn *c);

    std::string &m_buf;
    QString m_what;
    bool m_sent = true;
};

} // namespace iot::pgcopy
