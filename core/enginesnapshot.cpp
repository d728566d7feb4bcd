// SPDX-License-Identifier: MIT
#include "enginesnapshot.h"

namespace iot {

QString EngineSnapshot::balanceText() const
{
    return QStringLiteral("received %1 = written %2 + dead-lettered %3 + dropped %4 + in flight %5")
        .arg(received)
        .arg(written)
        .arg(deadLettered)
        .arg(dropped)
        .arg(inFlight);
}

} // namespace iot
