// SPDX-License-Identifier: MIT
#include "enginesnapshot.h"

namespace iot {
namespace {

using Side = CounterInfo::Side;

QString plain(quint64 n)
{
    return QString::number(n);
}

} // namespace

quint64 EngineSnapshot::balanceIn() const
{
    quint64 sum = 0;
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (CounterTable[i].side == Side::In || CounterTable[i].side == Side::OptionalIn)
            sum += (*this)[Counter(i)];
    return sum;
}

quint64 EngineSnapshot::balanceOut() const
{
    quint64 sum = inFlight;
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (CounterTable[i].side == Side::Out || CounterTable[i].side == Side::OptionalOut)
            sum += (*this)[Counter(i)];
    return sum;
}

QString EngineSnapshot::balanceText(QString (*number)(quint64)) const
{
    if (!number)
        number = plain;
    // One side of the equation: its terms in table order, the optional ones only when non-zero.
    const auto terms = [this, number](Side always, Side optional) {
        QStringList out;
        for (std::size_t i = 0; i < CounterCount; ++i) {
            const CounterInfo &c = CounterTable[i];
            const quint64 v = (*this)[Counter(i)];
            if (c.side == always || (c.side == optional && v > 0))
                out << QLatin1String(c.words) + QLatin1Char(' ') + number(v);
        }
        return out;
    };
    QStringList out = terms(Side::Out, Side::OptionalOut);
    out << QStringLiteral("in flight ") + number(inFlight);
    return terms(Side::In, Side::OptionalIn).join(QStringLiteral(" + ")) + QStringLiteral(" = ")
        + out.join(QStringLiteral(" + "));
}

QString EngineSnapshot::progressText(const EngineSnapshot &previous) const
{
    const qint64 fromUs = previous.takenAtUs > 0 ? previous.takenAtUs : startedAtUs;
    const double seconds = static_cast<double>(takenAtUs - fromUs) / 1e6;
    QStringList parts;
    for (std::size_t i = 0; i < CounterCount; ++i) {
        const CounterInfo &c = CounterTable[i];
        if (c.progress == CounterInfo::Progress::Not)
            continue;
        const quint64 now = (*this)[Counter(i)];
        QString part = QLatin1String(c.words) + QLatin1Char(' ') + QString::number(now);
        if (c.progress == CounterInfo::Progress::CountAndRate) {
            const quint64 before = previous[Counter(i)];
            const double rate = seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0.0;
            part += QStringLiteral(" (%1/s)").arg(QString::number(rate, 'f', 0));
        }
        parts << part;
    }
    parts << QStringLiteral("in flight ") + QString::number(inFlight);
    return parts.join(QStringLiteral(", ")) + QStringLiteral("; mqtt %1, database %2")
        .arg(MessageSource::stateName(mqtt.state), BatchWriter::stateName(db.state));
}

} // namespace iot
