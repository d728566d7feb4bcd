// SPDX-License-Identifier: MIT
#include "pipeline/reasons.h"

namespace iot::Reasons {

DeadLetter classify(const QString &reason)
{
    if (reason.startsWith(QLatin1String("rejected by database")))
        return DeadLetter::DbRejected;
    if (reason.startsWith(QLatin1String("mapping ")))
        return DeadLetter::Mapping;
    if (reason.startsWith(QLatin1String("unmatched")))
        return DeadLetter::Unmatched;
    // PayloadCheck reasons start with the verdict's name: "invalid_json at byte 17: …".
    for (std::size_t i = 0; i < std::size_t(DeadLetter::DbRejected); ++i) {
        const QLatin1String name(DeadLetterNames[i]);
        if (reason.startsWith(name) && reason.size() > name.size() && reason[name.size()] == QLatin1Char(' '))
            return DeadLetter(i);
    }
    return DeadLetter::Other;
}

} // namespace iot::Reasons
