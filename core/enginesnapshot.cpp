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

QString EngineSnapshot::progressText(const EngineSnapshot &previous) const
{
    const qint64 fromUs = previous.takenAtUs > 0 ? previous.takenAtUs : startedAtUs;
    const double seconds = static_cast<double>(takenAtUs - fromUs) / 1e6;
    const auto rate = [seconds](quint64 now, quint64 before) {
        return seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0.0;
    };
    const double receivedPerSec = rate(received, previous.received);
    const double writtenPerSec = rate(written, previous.written);
    return QStringLiteral("received %1 (%2/s), written %3 (%4/s), dead-lettered %5, dropped %6, in flight %7; mqtt %8, "
                          "database %9")
        .arg(QString::number(received), QString::number(receivedPerSec, 'f', 0), QString::number(written),
             QString::number(writtenPerSec, 'f', 0), QString::number(deadLettered), QString::number(dropped),
             QString::number(inFlight), MessageSource::stateName(mqtt.state), BatchWriter::stateName(db.state));
}

} // namespace iot
