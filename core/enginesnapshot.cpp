// SPDX-License-Identifier: MIT
#include "enginesnapshot.h"

namespace iot {

QString EngineSnapshot::balanceText() const
{
    const QString in = replayed ? QStringLiteral("received %1 + replayed %2").arg(received).arg(replayed)
                                : QStringLiteral("received %1").arg(received);
    const QString written_ = deduplicated
        ? QStringLiteral("written %1 + deduplicated %2").arg(written).arg(deduplicated)
        : QStringLiteral("written %1").arg(written);
    return in + QStringLiteral(" = ") + written_ + QStringLiteral(" + dead-lettered %1 + dropped %2 + in flight %3")
        .arg(deadLettered)
        .arg(dropped)
        .arg(inFlight);
}

QString EngineSnapshot::progressText() const
{
    return QStringLiteral("received %1 (%2/s), written %3 (%4/s), dead-lettered %5, dropped %6, in flight %7; mqtt %8, "
                          "database %9")
        .arg(QString::number(received), QString::number(receivedPerSec, 'f', 0), QString::number(written),
             QString::number(writtenPerSec, 'f', 0), QString::number(deadLettered), QString::number(dropped),
             QString::number(inFlight), MessageSource::stateName(mqttState), BatchWriter::stateName(dbState));
}

} // namespace iot
