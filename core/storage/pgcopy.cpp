// SPDX-License-Identifier: MIT
#include "storage/pgcopy.h"

#include "util/timeformat.h"

#include <libpq-fe.h>


namespace iot::pgcopy {

void putBe16(std::string &b, std::uint16_t v)
{
    const char c[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    b.append(c, 2);
}

void putBe32(std::string &b, std::uint32_t v)
{
    const char c[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    b.append(c, 4);
}

void putBe64(std::string &b, std::uint64_t v)
{
    putBe32(b, static_cast<std::uint32_t>(v >> 32));
    putBe32(b, static_cast<std::uint32_t>(v));
}

void putTimestamp(std::string &b, std::int64_t epochUs)
{
    putBe32(b, 8);
    putBe64(b, static_cast<std::uint64_t>(epochUs - TimeFormat::PgEpochOffsetUs));
}

void putBytes(std::string &b, const char *data, std::size_t n)
{
    putBe32(b, static_cast<std::uint32_t>(n));
    b.append(data, n);
}

void putJsonb(std::string &b, QByteArrayView json)
{
    putBe32(b, static_cast<std::uint32_t>(json.size() + 1));
    b.push_back('\1');  // jsonb binary format version
    b.append(json.data(), static_cast<std::size_t>(json.size()));
}

WriteOutcome failure(pg_conn *c, pg_result *res, const QString &what)
{
    const QByteArray state(res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr);
    QString msg = QString::fromUtf8(res ? PQresultErrorMessage(res) : PQerrorMessage(c)).trimmed();
    if (msg.isEmpty())
        msg = QString::fromUtf8(PQerrorMessage(c)).trimmed();
    msg = what + QStringLiteral(": ") + msg;
    const FailureClass cls = PQstatus(c) == CONNECTION_OK
        ? FailureClasses::fromSqlState(std::string_view(state.constData(), std::size_t(state.size())))
        : FailureClass::Connection;
    if (res)
        PQclear(res);
    return WriteOutcome::failed(cls, msg, state);
}

WriteOutcome Stream::begin(pg_conn *c, const QByteArray &command)
{
    PGresult *res = PQexec(c, command.constData());
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return failure(c, res, m_what);
    PQclear(res);
    m_buf.clear();
    m_sent = true;
    static constexpr char Signature[] = "PGCOPY\n\377\r\n\0";
    m_buf.append(Signature, sizeof Signature - 1);
    putBe32(m_buf, 0);  // flags
    putBe32(m_buf, 0);  // header extension length
    return {};
}

bool Stream::send(pg_conn *c)
{
    const bool ok = m_buf.empty() || PQputCopyData(c, m_buf.data(), static_cast<int>(m_buf.size())) == 1;
    m_buf.clear();
    return ok;
}

bool Stream::rowDone(pg_conn *c)
{
    if (m_buf.size() >= ChunkBytes && !send(c))
        m_sent = false;
    return m_sent;
}

WriteOutcome Stream::end(pg_conn *c)
{
    bool sent = m_sent;
    if (sent) {
        putBe16(m_buf, 0xFFFF);  // trailer
        sent = send(c) && PQputCopyEnd(c, nullptr) == 1;
    } else {
        PQputCopyEnd(c, "chunk not sent");
    }
    WriteOutcome out;
    PGresult *res;
    while ((res = PQgetResult(c)) != nullptr) {
        const ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_COPY_IN && out.ok()) {
            out = failure(c, res, m_what);
            continue;
        }
        PQclear(res);
        if (st == PGRES_COPY_IN)
            break;  // still in COPY after a failed end: the connection is unusable, the retry reconnects
    }
    if (!sent && out.ok())
        out = failure(c, nullptr, m_what + QStringLiteral(" data"));
    return out;
}

} // namespace iot::pgcopy
