// SPDX-License-Identifier: MIT
// BatchWriter's state in words: the names and one-line texts that logs, /readyz and the window show. Made from the
// StateInfo values at the edges only; nothing parses them back.
#include "pipeline/batchwriter.h"

#include <QMetaEnum>

namespace iot {

QString BatchWriter::stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(static_cast<int>(state))).toLower();
}

QString BatchWriter::causeName(Cause cause)
{
    const QString key = QString::fromLatin1(QMetaEnum::fromType<Cause>().valueToKey(static_cast<int>(cause)));
    QString name;
    for (const QChar c : key) {
        if (c.isUpper() && !name.isEmpty())
            name += QLatin1Char('_');
        name += c.toLower();
    }
    return name;
}

QString BatchWriter::StateInfo::reason() const
{
    switch (cause) {
    case Cause::CheckpointUnreadable: return QStringLiteral("cannot read the spool checkpoint: ") + message;
    case Cause::NotAnswering: return QStringLiteral("not answering: ") + message;
    case Cause::TableRefusesEveryRow:
        return QStringLiteral("%1 refuses every row%2: %3")
            .arg(table, code.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(code), message);
    case Cause::DeadLetterTableRefuses: return QStringLiteral("the dead-letter table refuses rows: ") + message;
    case Cause::SpoolInUse:
        return QStringLiteral("spool %1 is in use by another live process (its checkpoint is locked in the database): "
                              "a spool directory copied with its SPOOL_ID, e.g. a cloned machine; give each instance "
                              "its own spool directory")
            .arg(message);
    case Cause::None:
    case Cause::Unavailable:
    case Cause::Fatal: break;
    }
    return message;
}

QString BatchWriter::StateInfo::detail() const
{
    const QString delay = QString::number(double(retryDelayUs) / 1e6, 'f', 1);
    switch (state) {
    case State::Connecting: return QStringLiteral("connecting to ") + target;
    case State::Connected: return QStringLiteral("connected to ") + target;
    case State::Retrying: return QStringLiteral("retry in %1 s: %2").arg(delay, reason());
    case State::Blocked: return QStringLiteral("%1; retry in %2 s").arg(reason(), delay);
    case State::Failed: return message.simplified();
    case State::Disconnected: break;
    }
    return {};
}

} // namespace iot
