// SPDX-License-Identifier: MIT
#include "mqtt/messagesource.h"

#include <QMetaEnum>

namespace iot {

MessageSource::MessageSource(QObject *parent) : QObject(parent) {}

MessageSource::~MessageSource() = default;

void MessageSource::setState(State state, const QString &detail)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state, detail);
}

QString MessageSource::stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(static_cast<int>(state))).toLower();
}

} // namespace iot
