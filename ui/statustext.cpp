// SPDX-License-Identifier: MIT
#include "statustext.h"

#include <QDateTime>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace iot {
namespace {

QString capitalised(const QString &text)
{
    if (text.isEmpty())
        return text;
    return text.left(1).toUpper() + text.mid(1);
}

// "next try in 4.2 s" from the delay the state announced and the time it was announced.
QString nextTry(qint64 delayUs, qint64 sinceUs, qint64 nowUs)
{
    // The delay is shown to a tenth of a second where it was announced; count down from that, as the text did.
    const double left = std::round(double(delayUs) / 1e5) / 10 - double(nowUs - sinceUs) / 1e6;
    if (left <= 0.05)
        return QStringLiteral("retrying now");
    return QStringLiteral("next try in %1 s").arg(left, 0, 'f', 1);
}

} // namespace

StatusView StatusText::mqtt(const EngineSnapshot &s, qint64 nowUs, bool running)
{
    using State = MessageSource::State;
    const MessageSource::StateInfo &m = s.mqtt;
    if (!running)
        return {StatusLevel::Off, QStringLiteral("Stopped"), m.detail()};
    switch (m.state) {
    case State::Connected:
        return {StatusLevel::Ok, QStringLiteral("Connected to ") + m.endpoint + QStringLiteral(" since ") + clock(m.sinceUs),
                {}};
    case State::Connecting:
        return {StatusLevel::Busy, QStringLiteral("Connecting to ") + m.endpoint + QStringLiteral("…"), {}};
    case State::Reconnecting:
        return {StatusLevel::Warning,
                QStringLiteral("Reconnecting (attempt %1, %2): %3")
                    .arg(QString::number(m.attempt), nextTry(m.retryDelayUs, m.sinceUs, nowUs), m.message),
                QStringLiteral("Connection lost or refused at ") + clock(m.sinceUs)};
    case State::Stopping:
        return {StatusLevel::Busy, QStringLiteral("Disconnecting…"), {}};
    case State::Failed:
        return {StatusLevel::Error, QStringLiteral("Stopped, retrying cannot help: ") + m.detail(),
                QStringLiteral("Fix the settings (File → Settings: [mqtt] host, tls_ca_file, tls_cert_file, "
                               "tls_key_file) or the broker's certificate and apply")};
    case State::Disconnected:
        break;
    }
    switch (m.cause) {
    case MessageSource::Cause::None: return {StatusLevel::Busy, QStringLiteral("Starting…"), {}};
    case MessageSource::Cause::Stopped: return {StatusLevel::Off, QStringLiteral("Stopped"), {}};
    case MessageSource::Cause::Tls:
    case MessageSource::Cause::SetupFailed:
    case MessageSource::Cause::ConnectFailed:
    case MessageSource::Cause::ConnectionLost: break;
    }
    return {StatusLevel::Error, capitalised(m.detail()), {}};
}

StatusView StatusText::database(const EngineSnapshot &s, qint64 nowUs, bool running)
{
    using State = BatchWriter::State;
    const BatchWriter::StateInfo &db = s.db;
    if (!running)
        return {StatusLevel::Off, QStringLiteral("Stopped"), db.detail()};
    switch (db.state) {
    case State::Connected:
        return {StatusLevel::Ok, QStringLiteral("Connected to ") + db.target + QStringLiteral(" since ") + clock(db.sinceUs),
                {}};
    case State::Connecting:
        return {StatusLevel::Busy, QStringLiteral("Connecting to ") + db.target + QStringLiteral("…"), {}};
    case State::Retrying:
        return {StatusLevel::Error,
                QStringLiteral("Retrying (attempt %1, %2): %3")
                    .arg(QString::number(std::max(1, db.attempt)), nextTry(db.retryDelayUs, db.sinceUs, nowUs),
                         db.reason().simplified()),
                QStringLiteral("%1 messages held until it is back; failing since %2")
                    .arg(count(s.inFlight), clock(db.sinceUs))};
    case State::Blocked:
        // The state itself says what happened; the reason is the database's, shown as it is.
        return {StatusLevel::Error, QStringLiteral("Writing stopped: ") + db.detail().simplified(),
                QStringLiteral("%1 messages held, none dropped, since %2; writing resumes by itself once the table "
                               "or its permissions are fixed")
                    .arg(count(s.inFlight), clock(db.sinceUs))};
    case State::Failed:
        return {StatusLevel::Error, QStringLiteral("Stopped, retrying cannot help: ") + db.detail(),
                QStringLiteral("%1 messages held in the spool, none dropped; fix the settings (File → Settings) or "
                               "the database and apply")
                    .arg(count(s.inFlight))};
    case State::Disconnected:
        break;
    }
    return {StatusLevel::Busy, QStringLiteral("Starting…"), {}};
}

StatusView StatusText::reading(const EngineSnapshot &s, bool running)
{
    if (!running)
        return {StatusLevel::Off, QStringLiteral("Not reading (stopped)"), {}};
    if (s.operatorPaused)
        return {StatusLevel::Paused, QStringLiteral("Paused by operator: the broker holds new messages"),
                QStringLiteral("Resume with Ctrl+P. QoS ≥ 1 messages wait at the broker (up to its queue limits).")};
    if (s.spoolEnabled && s.spoolState != SpoolState::Ok) {
        const QString why = spoolTrouble(s.spoolState);
        const QString tip = QStringLiteral("New messages are held in memory only, up to %1; then reading pauses. "
                                           "Reading resumes and messages go to disk again by themselves once the "
                                           "spool's disk takes them (retried every second).")
                                .arg(count(s.maxBuffered));
        if (s.readingPaused)
            return {StatusLevel::Warning, QStringLiteral("Paused: ") + why + QStringLiteral(", the broker holds new messages"),
                    tip};
        return {StatusLevel::Warning, QStringLiteral("Reading into memory only: ") + why, tip};
    }
    if (s.readingPaused)
        return {StatusLevel::Warning, QStringLiteral("Paused: buffer full, the broker holds new messages"),
                QStringLiteral("Reading resumes by itself once the database has caught up.")};
    return {StatusLevel::Ok, QStringLiteral("Reading"), {}};
}

StatusLevel StatusText::overall(const EngineSnapshot &s, bool running)
{
    if (!running)
        return StatusLevel::Off;
    if (s.db.state == BatchWriter::State::Retrying || s.db.state == BatchWriter::State::Blocked
        || s.db.state == BatchWriter::State::Failed || s.mqtt.state == MessageSource::State::Failed)
        return StatusLevel::Error;
    if (s.mqtt.state == MessageSource::State::Reconnecting || s.readingPaused
        || (s.spoolEnabled && s.spoolState != SpoolState::Ok))
        return StatusLevel::Warning;
    if (s.operatorPaused)
        return StatusLevel::Paused;
    if (s.mqtt.state == MessageSource::State::Connected && s.db.state == BatchWriter::State::Connected)
        return StatusLevel::Ok;
    return StatusLevel::Busy;
}

QString StatusText::spoolTrouble(SpoolState state)
{
    switch (state) {
    case SpoolState::DiskFull: return QStringLiteral("spool disk full");
    case SpoolState::WriteError: return QStringLiteral("spool write error");
    case SpoolState::SyncError: return QStringLiteral("spool sync failed");
    case SpoolState::Ok:
    case SpoolState::Count: break;
    }
    return {};
}

QString StatusText::count(quint64 n)
{
    return QLocale().toString(n);
}

QString StatusText::rate(double perSec)
{
    if (perSec > 0 && perSec < 10)
        return QLocale().toString(perSec, 'f', 1) + QStringLiteral("/s");
    return QLocale().toString(qint64(std::llround(perSec))) + QStringLiteral("/s");
}

QString StatusText::duration(qint64 us)
{
    if (us < 0)
        us = 0;
    if (us < 1000000)
        return QStringLiteral("%1 ms").arg(us / 1000);
    const double sec = us / 1e6;
    if (sec < 60)
        return QStringLiteral("%1 s").arg(sec, 0, 'f', sec < 10 ? 1 : 0);
    const qint64 s = us / 1000000;
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

QString StatusText::clock(qint64 epochUs)
{
    if (epochUs <= 0)
        return QStringLiteral("—");
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(epochUs / 1000);
    if (t.date() == QDate::currentDate())
        return t.toString(QStringLiteral("HH:mm:ss"));
    return t.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString StatusText::clockMs(qint64 epochUs)
{
    return QDateTime::fromMSecsSinceEpoch(epochUs / 1000).toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString StatusText::ago(qint64 epochUs, qint64 nowUs)
{
    if (epochUs <= 0)
        return QStringLiteral("never");
    return clock(epochUs) + QStringLiteral(" (") + duration(nowUs - epochUs) + QStringLiteral(" ago)");
}

QString StatusText::uptime(qint64 us)
{
    const qint64 s = std::max<qint64>(0, us / 1000000);
    const QString hms = QStringLiteral("%1:%2:%3")
                            .arg((s % 86400) / 3600, 2, 10, QLatin1Char('0'))
                            .arg((s % 3600) / 60, 2, 10, QLatin1Char('0'))
                            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return s >= 86400 ? QStringLiteral("%1 d %2").arg(s / 86400).arg(hms) : hms;
}

} // namespace iot
