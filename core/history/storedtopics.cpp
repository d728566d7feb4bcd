// SPDX-License-Identifier: MIT
#include "history/storedtopics.h"

#include "export/exportsource.h"
#include "storage/sqlsink.h"
#include "util/timeformat.h"

#include <QFile>

namespace iot {

Result<QList<StoredTopic>> StoredTopics::load(const Config &config, std::int64_t sinceUs)
{
    const bool pg = config.database.driver == DbDriver::Postgres;
    QFile f(pg ? QStringLiteral(":/iot/sql/stored_topics_postgres.sql") : QStringLiteral(":/iot/sql/stored_topics_sqlite.sql"));
    if (!f.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("stored topics: query resource missing")};
    const QByteArray sql = QString::fromUtf8(f.readAll())
                               .replace(QStringLiteral("${table}"), SqlSink::quoteIdentifier(config.database.table))
                               .toUtf8();
    char since[TimeFormat::IsoLength];
    TimeFormat::isoUtc(sinceUs, since);
    auto connected = ExportSource::connect(config.database);
    if (!connected)
        return connected.error();
    std::unique_ptr<ExportSource> source = std::move(connected).value();
    if (Status st = source->start(sql, {QByteArray(since, TimeFormat::IsoLength)}); !st)
        return st.error();
    QList<StoredTopic> out;
    for (;;) {
        const ExportSource::Step step = source->next();
        if (step == ExportSource::Step::Done)
            break;
        if (step == ExportSource::Step::Failed)
            return Error{source->error()};
        StoredTopic t;
        t.topic = source->value(0).toByteArray();
        t.lastSeenUs = source->value(1).toByteArray().toLongLong();
        t.lastPayload = source->value(2).toByteArray();
        t.count = source->value(3).toByteArray().toULongLong();
        out << t;
    }
    return out;
}

} // namespace iot
