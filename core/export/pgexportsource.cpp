// SPDX-License-Identifier: MIT
#include "export/pgexportsource.h"

#include <libpq-fe.h>

#include <vector>

namespace iot {

struct PgExportSource::Private
{
    PGconn *conn = nullptr;
    PGresult *row = nullptr;
    PGcancel *cancel = nullptr;  // made once on this thread; PQcancel on it is safe from any thread

    void clearRow()
    {
        PQclear(row);
        row = nullptr;
    }
    /// Reads and drops what the server still sends for the current query.
    void drain()
    {
        clearRow();
        while (PGresult *r = PQgetResult(conn))
            PQclear(r);
    }
};

PgExportSource::PgExportSource() : d(std::make_unique<Private>()) {}

PgExportSource::~PgExportSource()
{
    d->clearRow();
    if (d->cancel)
        PQfreeCancel(d->cancel);
    if (d->conn)
        PQfinish(d->conn);
}

Status PgExportSource::open(const DatabaseConfig &config)
{
    const QByteArray host = config.host.toUtf8(), port = QByteArray::number(config.port),
                     dbname = config.name.toUtf8(), user = config.user.toUtf8(), password = config.password.toUtf8(),
                     timeout = QByteArray::number(config.connectTimeoutSec), sslmode = config.sslmode.toUtf8(),
                     rootcert = config.sslRootCert.toUtf8(), cert = config.sslCert.toUtf8(),
                     key = config.sslKey.toUtf8();
    std::vector<const char *> keys;
    std::vector<const char *> values;
    const auto add = [&](const char *k, const QByteArray &v) {
        if (!v.isEmpty()) {
            keys.push_back(k);
            values.push_back(v.constData());
        }
    };
    add("host", host);
    add("port", port);
    add("dbname", dbname);
    add("user", user);
    add("password", password);
    add("connect_timeout", timeout);
    add("sslmode", sslmode);
    add("sslrootcert", rootcert);
    add("sslcert", cert);
    add("sslkey", key);
    // Read-only by the server's rule, not by our promise: any write in this session fails. No JIT: compiling a
    // plan costs ~100 ms that a streamed export or a one-table aggregate (history) never wins back.
    static const QByteArray options = QByteArrayLiteral("-c default_transaction_read_only=on -c jit=off");
    add("options", options);
    static const QByteArray app = QByteArrayLiteral("iot-subscriber export");
    add("application_name", app);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    d->conn = PQconnectdbParams(keys.data(), values.data(), 0);
    if (PQstatus(d->conn) != CONNECTION_OK) {
        const QString msg = QString::fromUtf8(PQerrorMessage(d->conn)).trimmed();
        return Error{QStringLiteral("PostgreSQL %1@%2:%3/%4: %5")
                         .arg(config.user, config.host)
                         .arg(config.port)
                         .arg(config.name, msg)};
    }
    d->cancel = PQgetCancel(d->conn);
    return Ok{};
}

Status PgExportSource::start(const QByteArray &sql, const QList<QByteArray> &params)
{
    std::vector<const char *> values;
    for (const QByteArray &p : params)
        values.push_back(p.constData());
    if (!PQsendQueryParams(d->conn, sql.constData(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0)
        || !PQsetSingleRowMode(d->conn)) {
        m_error = QString::fromUtf8(PQerrorMessage(d->conn)).trimmed();
        return Error{m_error};
    }
    return Ok{};
}

ExportSource::Step PgExportSource::next()
{
    d->clearRow();
    PGresult *r = PQgetResult(d->conn);
    if (!r)
        return Step::Done;
    switch (PQresultStatus(r)) {
    case PGRES_SINGLE_TUPLE:
        d->row = r;
        return Step::Row;
    case PGRES_TUPLES_OK:  // the end of the rows (no row of its own)
        PQclear(r);
        d->drain();
        return Step::Done;
    default:
        m_error = QString::fromUtf8(PQresultErrorMessage(r)).trimmed();
        PQclear(r);
        d->drain();
        return Step::Failed;
    }
}

QByteArrayView PgExportSource::value(int i)
{
    if (PQgetisnull(d->row, 0, i))
        return {};
    return QByteArrayView(PQgetvalue(d->row, 0, i), PQgetlength(d->row, 0, i));
}

void PgExportSource::abort()
{
    // Without a cancel request the server would go on sending the rest, which drain() would have to read.
    if (PGcancel *c = PQgetCancel(d->conn)) {
        char err[256];
        PQcancel(c, err, sizeof err);
        PQfreeCancel(c);
    }
    d->drain();
}

int PgExportSource::serverVersion() const
{
    return d->conn ? PQserverVersion(d->conn) : 0;
}

void PgExportSource::interrupt()
{
    if (d->cancel) {
        char err[256];
        PQcancel(d->cancel, err, sizeof err);
    }
}

} // namespace iot
