// SPDX-License-Identifier: MIT
#include "history/historyrunner.h"

#include "export/exportsource.h"
#include "export/pgexportsource.h"
#include "export/sqliteexportsource.h"
#include "export/topicfilters.h"
#include "history/historyquery.h"
#include "history/sqlitehistoryfunctions.h"

#include <QMutexLocker>

namespace iot {
namespace {

double number(QByteArrayView v)
{
    return QByteArray(v.data(), v.size()).toDouble();
}

std::int64_t integer(QByteArrayView v)
{
    return QByteArray(v.data(), v.size()).toLongLong();
}

} // namespace

HistoryRunner::HistoryRunner(Config config) : m_config(std::move(config)) {}

HistoryRunner::~HistoryRunner() = default;

HistoryResult HistoryRunner::run(const HistoryRequest &request)
{
    HistoryResult result;
    result.fromUs = request.fromUs;
    result.toUs = request.toUs;
    m_cancelled = false;
    const auto dialect = m_config.database.driver == DbDriver::Postgres ? HistoryQuery::Dialect::Postgres
                                                                         : HistoryQuery::Dialect::Sqlite;
    auto made = HistoryQuery::make(m_config, request, dialect);
    if (!made) {
        result.ending = HistoryResult::Ending::BadRequest;
        result.message = made.error().message;
        return result;
    }
    HistoryQuery query = std::move(made).value();
    result.bucketUs = query.bucketUs;
    const auto failed = [&](const QString &message) {
        result.ending = m_cancelled ? HistoryResult::Ending::Cancelled : HistoryResult::Ending::DatabaseFailed;
        result.message = m_cancelled ? QStringLiteral("cancelled") : message;
        result.series.clear();
        return result;
    };
    if (!m_source) {
        auto source = ExportSource::connect(m_config.database);
        if (!source)
            return failed(source.error().message);
        m_source = std::move(source).value();
        if (auto *lite = dynamic_cast<SqliteExportSource *>(m_source.get())) {
            QString why;
            if (!SqliteHistoryFunctions::install(lite->handle(), &why)) {
                m_source.reset();
                return failed(why);
            }
        }
    }
    if (auto *pg = dynamic_cast<PgExportSource *>(m_source.get()); pg && pg->serverVersion() >= 140000) {
        auto forServer = HistoryQuery::make(m_config, request, dialect, pg->serverVersion());
        if (forServer)
            query = std::move(forServer).value();
    }
    {
        QMutexLocker lock(&m_sourceLock);
        m_active = m_source.get();
    }
    const auto finish = [this] {
        QMutexLocker lock(&m_sourceLock);
        m_active = nullptr;
    };
    if (Status st = m_source->start(query.sql, query.params); !st) {
        finish();
        m_source.reset();
        return failed(st.error().message);
    }
    // A cancel that came while the query was being sent found nothing running yet.
    if (m_cancelled)
        m_source->interrupt();
    HistorySeries *current = nullptr;
    for (;;) {
        const ExportSource::Step step = m_source->next();
        if (step == ExportSource::Step::Done)
            break;
        if (step == ExportSource::Step::Failed) {
            const QString why = m_source->error();
            finish();
            if (!m_cancelled)
                m_source.reset();  // a broken connection is made again next time
            return failed(why);
        }
        if (query.packed) {
            // One row: every series in one BLOB, filtered as the rows below are.
            QList<HistorySeries> all;
            if (!SqliteHistoryFunctions::decode(m_source->value(0), request.fromUs, query.bucketUs, all)) {
                finish();
                return failed(QStringLiteral("iot_buckets gave a malformed result"));
            }
            for (HistorySeries &s : all)
                if (query.topicFilters.isEmpty()
                    || std::any_of(query.topicFilters.cbegin(), query.topicFilters.cend(),
                                   [&](const QString &f) { return TopicFilters::matches(f, s.topic); }))
                    result.series.append(std::move(s));
            continue;
        }
        const QByteArrayView topicView = m_source->value(0);
        const QString topic = QString::fromUtf8(topicView);
        if (!current || current->topic != topic) {
            if (!query.topicFilters.isEmpty()
                && std::none_of(query.topicFilters.cbegin(), query.topicFilters.cend(),
                                [&](const QString &f) { return TopicFilters::matches(f, topic); })) {
                current = nullptr;
                continue;
            }
            result.series.append(HistorySeries{topic, {}});
            current = &result.series.last();
        }
        HistoryBucket b;
        b.startUs = request.fromUs + integer(m_source->value(1)) * query.bucketUs;
        b.min = number(m_source->value(2));
        b.mean = number(m_source->value(3));
        b.max = number(m_source->value(4));
        b.count = integer(m_source->value(5));
        current->buckets.append(b);
    }
    finish();
    if (m_cancelled)
        return failed({});
    return result;
}

void HistoryRunner::cancel()
{
    QMutexLocker lock(&m_sourceLock);
    m_cancelled = true;
    if (m_active)
        m_active->interrupt();
}

} // namespace iot
