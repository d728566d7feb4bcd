// SPDX-License-Identifier: MIT
#include "mqtt/messagesource.h"

#include "util/timeformat.h"

#include <QMetaEnum>

namespace iot {

MessageSource::MessageSource(QObject *parent) : QObject(parent) {}

MessageSource::~MessageSource() = default;

void MessageSource::setState(StateInfo info)
{
    if (info.state == m_info.state)
        return;
    info.sinceUs = TimeFormat::nowUs();
    info.sessionsTakenOver = m_info.sessionsTakenOver;
    info.takeoverConfirmed = m_info.takeoverConfirmed;
    m_info = std::move(info);
    Q_EMIT stateChanged(m_info);
}

void MessageSource::setSessionsTakenOver(int count, bool confirmed)
{
    if (count == m_info.sessionsTakenOver && confirmed == m_info.takeoverConfirmed)
        return;
    m_info.sessionsTakenOver = count;
    m_info.takeoverConfirmed = confirmed;
    Q_EMIT stateChanged(m_info);
}

QString MessageSource::StateInfo::takeoverText() const
{
    if (sessionsTakenOver == 0)
        return {};
    return QStringLiteral("the broker took our session over %1 times in a row%2: another live client uses this "
                          "client id (cloned machines share the host name of the default id); give each instance "
                          "its own [mqtt] client_id")
        .arg(sessionsTakenOver)
        .arg(takeoverConfirmed ? QStringLiteral(" (reason 0x8E, session taken over)")
                               : QStringLiteral(" (each session ended right after it began)"));
}

QString MessageSource::StateInfo::detail() const
{
    if (sessionsTakenOver > 0)
        return takeoverText();
    switch (state) {
    case State::Connecting: return QStringLiteral("connecting to ") + endpoint;
    case State::Connected: return QStringLiteral("connected to ") + endpoint;
    case State::Reconnecting:
        return QStringLiteral("attempt %1 in %2 s: %3").arg(attempt).arg(double(retryDelayUs) / 1e6, 0, 'f', 1).arg(message);
    case State::Stopping: return QStringLiteral("disconnecting");
    case State::Failed:
    case State::Disconnected: break;
    }
    switch (cause) {
    case Cause::SetupFailed:
        return message.isEmpty() ? QStringLiteral("client setup failed") : QStringLiteral("client setup failed: ") + message;
    case Cause::Stopped: return QStringLiteral("stopped");
    case Cause::Tls: return QStringLiteral("TLS to ") + endpoint + QStringLiteral(": ") + message;
    case Cause::None:
    case Cause::ConnectFailed:
    case Cause::ConnectionLost: break;
    }
    return message;
}

bool MessageSource::isConfigProblem(TlsProblem problem)
{
    switch (problem) {
    case TlsProblem::CaFile:
    case TlsProblem::CertFile:
    case TlsProblem::KeyFile:
    case TlsProblem::KeyMismatch:
    case TlsProblem::Settings:
    case TlsProblem::UnknownAuthority:
    case TlsProblem::HostMismatch:
    case TlsProblem::BadCertificate:
    case TlsProblem::RefusedByBroker:
    case TlsProblem::Handshake: return true;
    // A certificate out of its dates is fixed on the broker (renewal) or by the clock, without touching our
    // configuration: retried like a network problem.
    case TlsProblem::NotValidNow:
    // A broker that closes in the middle of a handshake may be restarting: as a reset, retried (a plain port
    // taken for a TLS one ends so too, and shows as this reason on every try).
    case TlsProblem::Interrupted:
    case TlsProblem::None: break;
    }
    return false;
}

QString MessageSource::stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(static_cast<int>(state))).toLower();
}

} // namespace iot
