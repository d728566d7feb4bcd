// SPDX-License-Identifier: MIT
#include "observability/healthcheck.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace iot {
namespace {

void checkLoop(HealthCheck::Verdict &v, const char *name, std::int64_t heartbeatUs, std::int64_t startedAtUs,
               std::int64_t nowUs, std::int64_t stallUs)
{
    // The first snapshot may be older than the threads; a loop gets the same grace to start as to turn.
    if (heartbeatUs == 0 && nowUs - startedAtUs <= stallUs)
        return;
    if (heartbeatUs == 0) {
        v.ok = false;
        v.states.insert(QLatin1String(name), QStringLiteral("not_running"));
        v.reasons << QStringLiteral("%1 loop not running").arg(QLatin1String(name));
    } else if (nowUs - heartbeatUs > stallUs) {
        v.ok = false;
        v.states.insert(QLatin1String(name), QStringLiteral("stalled"));
        v.reasons << QStringLiteral("%1 loop stalled for %2 s")
                         .arg(QLatin1String(name))
                         .arg((nowUs - heartbeatUs) / 1e6, 0, 'f', 1);
    }
}

QString withDetail(const QString &what, const QString &state, const QString &detail)
{
    const QString text = what + QStringLiteral(" ") + state;
    return detail.isEmpty() ? text : text + QStringLiteral(": ") + detail;
}

} // namespace

QByteArray HealthCheck::Verdict::json(const QString &failedStatus, bool withReasons) const
{
    QJsonObject o{{QStringLiteral("status"), ok ? QStringLiteral("ok") : failedStatus}};
    if (!ok && withReasons)
        o.insert(QStringLiteral("reasons"), QJsonArray::fromStringList(reasons));
    for (auto it = states.cbegin(); it != states.cend(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

HealthCheck::Verdict HealthCheck::liveness(const EngineSnapshot &s, std::int64_t nowUs, std::int64_t stallUs)
{
    Verdict v;
    if (s.startedAtUs == 0) {
        v.ok = false;
        v.states.insert(QStringLiteral("engine"), QStringLiteral("not_started"));
        v.reasons << QStringLiteral("engine not started");
        return v;
    }
    // The snapshot comes from a main-thread timer; once it stops (engine stopped), the loops count as stopped too.
    checkLoop(v, "ingest", s.ingestHeartbeatUs, s.startedAtUs, nowUs, stallUs);
    checkLoop(v, "writer", s.writerHeartbeatUs, s.startedAtUs, nowUs, stallUs);
    return v;
}

HealthCheck::Verdict HealthCheck::readiness(const EngineSnapshot &s)
{
    Verdict v;
    // State names always, so that a probe without the token still learns which part is not ready.
    v.states.insert(QStringLiteral("mqtt"), MessageSource::stateName(s.mqtt.state));
    v.states.insert(QStringLiteral("database"), BatchWriter::stateName(s.db.state));
    if (s.mqtt.state != MessageSource::State::Connected) {
        v.ok = false;
        v.reasons << withDetail(QStringLiteral("mqtt"), MessageSource::stateName(s.mqtt.state), s.mqtt.detail());
    }
    if (s.db.state != BatchWriter::State::Connected) {
        v.ok = false;
        v.reasons << withDetail(QStringLiteral("database"), BatchWriter::stateName(s.db.state), s.db.detail());
        if (s.db.cause != BatchWriter::Cause::None)
            v.states.insert(QStringLiteral("database_cause"), BatchWriter::causeName(s.db.cause));
    }
    if (s.spoolEnabled && s.spoolState != SpoolState::Ok) {
        const QString name = QLatin1String(spoolStateName(s.spoolState));
        v.ok = false;
        v.states.insert(QStringLiteral("spool"), name);
        v.reasons << QStringLiteral("spool %1: new messages are held in memory only (reading pauses at %2 or %3 MiB)")
                         .arg(QString(name).replace(QLatin1Char('_'), QLatin1Char(' ')))
                         .arg(s.maxBuffered)
                         .arg(double(s.maxBufferedBytes) / (1 << 20), 0, 'f', 1);
    }
    if (s.maxBuffered > 0 && (s.inFlight >= s.maxBuffered || (s.readingPaused && !s.operatorPaused))) {
        v.ok = false;
        v.states.insert(QStringLiteral("buffer"), QStringLiteral("full"));
        // Either bound pauses reading (max_buffered_messages, max_buffered_mb): both figures say which.
        v.reasons << QStringLiteral("buffer full: %1 of %2 messages in flight, %3 of %4 MiB in memory, reading paused")
                         .arg(s.inFlight)
                         .arg(s.maxBuffered)
                         .arg(double(s.bufferedBytes) / (1 << 20), 0, 'f', 1)
                         .arg(double(s.maxBufferedBytes) / (1 << 20), 0, 'f', 1);
    }
    if (s.operatorPaused) {
        v.ok = false;
        v.states.insert(QStringLiteral("reading"), QStringLiteral("paused_by_operator"));
        v.reasons << QStringLiteral("reading paused by the operator");
    }
    return v;
}

} // namespace iot
