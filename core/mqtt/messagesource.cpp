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
    m_info = std::move(info);
    Q_EMIT stateChanged(m_info);
}

QString MessageSource::StateInfo::detail() const
{
    switch (state) {
    case State::Connecting: return QStringLiteral("connecting to ") + endpoint;
    case State::Connected: return QStringLiteral("connected to ") + endpoint;
    case State::Reconnecting:
        return QStringLiteral("attempt %1 in %2 s: %3").arg(attempt).arg(double(retryDelayUs) / 1e6, 0, 'f', 1).arg(message);
    case State::Stopping: return QStringLiteral("disconnecting");
    case State::Disconnected: break;
    }
    switch (cause) {
    case Cause::SetupFailed: return QStringLiteral("client setup failed");
    case Cause::Stopped: return QStringLiteral("stopped");
    case Cause::None:
    case Cause::ConnectFailed:
    case Cause::ConnectionLost: break;
    }
    return message;
}

QString MessageSource::stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(static_cast<int>(state))).toLower();
}

} // namespace iot
