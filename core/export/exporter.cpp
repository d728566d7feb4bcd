// SPDX-License-Identifier: MIT
#include "export/exporter.h"

#include "export/csvwriter.h"
#include "export/exportquery.h"
#include "export/exportsource.h"
#include "export/topicfilters.h"
#include "util/timeformat.h"

#include <QIODevice>

#include <charconv>

namespace iot {
namespace {

using Ending = ExportOutcome::Ending;

ExportOutcome outcome(Ending ending, std::int64_t rows, QString message = {})
{
    return {ending, rows, std::move(message)};
}

bool topicMatches(const QStringList &filters, QByteArrayView topic)
{
    const QString t = QString::fromUtf8(topic);
    for (const QString &f : filters)
        if (TopicFilters::matches(f, t))
            return true;
    return false;
}

} // namespace

Exporter::Exporter(Config config, ExportRequest request)
    : m_config(std::move(config)), m_request(std::move(request))
{
}

void Exporter::setProgress(std::function<void(std::int64_t)> progress, std::int64_t everyRows)
{
    m_progress = std::move(progress);
    m_every = everyRows > 0 ? everyRows : 10000;
}

ExportOutcome Exporter::run(QIODevice *out)
{
    const auto dialect = m_config.database.driver == DbDriver::Postgres ? ExportQuery::Dialect::Postgres
                                                                          : ExportQuery::Dialect::Sqlite;
    auto made = ExportQuery::make(m_config, m_request, dialect);
    if (!made)
        return outcome(Ending::BadRequest, 0, made.error().message);
    ExportQuery q = std::move(made).value();

    auto connected = ExportSource::connect(m_config.database);
    if (!connected)
        return outcome(Ending::DatabaseFailed, 0, connected.error().message);
    std::unique_ptr<ExportSource> source = std::move(connected).value();
    if (Status st = source->start(q.sql, q.params); !st)
        return outcome(Ending::DatabaseFailed, 0, st.error().message);

    CsvWriter csv(out);
    std::int64_t rows = 0;
    char iso[TimeFormat::IsoLength];
    // The header only once the database has answered: a table that cannot be read leaves the output empty.
    ExportSource::Step step = source->next();
    if (step != ExportSource::Step::Failed) {
        for (const QString &h : q.header)
            csv.field(h.toUtf8());
        csv.endRecord();
    }
    for (; step == ExportSource::Step::Row; step = source->next()) {
        if (m_cancel && m_cancel->load(std::memory_order_relaxed)) {
            source->abort();
            csv.flush();
            return outcome(Ending::Cancelled, rows, QStringLiteral("cancelled after %1 rows").arg(rows));
        }
        if (!q.topicFilters.isEmpty() && !topicMatches(q.topicFilters, source->value(q.topicSource)))
            continue;
        for (const ExportQuery::Column &c : q.columns) {
            const QByteArrayView v = source->value(c.source);
            switch (c.kind) {
            case ExportQuery::Column::Kind::Text:
                csv.field(v);
                break;
            case ExportQuery::Column::Kind::EpochUs: {
                std::int64_t us = 0;
                if (v.isEmpty() || std::from_chars(v.data(), v.data() + v.size(), us).ec != std::errc()) {
                    csv.field({});
                    break;
                }
                TimeFormat::isoUtc(us, iso);
                csv.field(QByteArrayView(iso, TimeFormat::IsoLength));
                break;
            }
            case ExportQuery::Column::Kind::Boolean:
                csv.field(v == "t" || v == "1" ? QByteArrayView("true") : v == "f" || v == "0" ? QByteArrayView("false") : v);
                break;
            case ExportQuery::Column::Kind::Field:
                csv.field(q.fields[static_cast<std::size_t>(c.field)].extract(v));
                break;
            }
        }
        csv.endRecord();
        ++rows;
        if (csv.failed()) {
            source->abort();
            return outcome(Ending::OutputFailed, rows, QStringLiteral("writing the output failed: ") + out->errorString());
        }
        if (m_progress && rows % m_every == 0)
            m_progress(rows);
    }
    if (step == ExportSource::Step::Failed) {
        csv.flush();
        return outcome(Ending::DatabaseFailed, rows,
                       rows ? QStringLiteral("the query failed after %1 rows: %2").arg(rows).arg(source->error())
                            : source->error());
    }
    if (!csv.flush())
        return outcome(Ending::OutputFailed, rows, QStringLiteral("writing the output failed: ") + out->errorString());
    if (m_progress)
        m_progress(rows);
    return outcome(Ending::Done, rows);
}

} // namespace iot
