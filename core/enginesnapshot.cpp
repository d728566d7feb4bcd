// SPDX-License-Identifier: MIT
#include "enginesnapshot.h"

namespace iot {

QString EngineSnapshot::balanceText() const
{
    const QString in = replayed ? QStringLiteral("received %1 + replayed %2").arg(received).arg(replayed)
                                : QStringLiteral("received %1").arg(received);
    return in + QStringLiteral(" = written %1 + dead-lettered %2 + dropped %3 + in flight %4")
        .arg(written)
        .arg(deadLettered)
        .arg(dropped)
        .arg(inFlight);
}

} // namespace iot
