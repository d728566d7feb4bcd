// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QByteArray>
#include <QMap>
#include <QStringList>

#include <cstdint>

namespace iot {

/// What /healthz and /readyz answer, judged from an EngineSnapshot: liveness (the worker loops turn) and readiness
/// (connected, backlog below its limit). Pure functions; any thread.
class HealthCheck final
{
public:
    struct Verdict
    {
        bool ok = true;
        QStringList reasons;   // why not, in words an operator can act on (may quote a server's message)
        QMap<QString, QString> states;  // the same for tools: part → state name ("spool" → "disk_full")

        int httpStatus() const { return ok ? 200 : 503; }
        /// {"status":"ok"} or {"status":"<failed>","reasons":[...]} plus {"<part>":"<state>"} for `states`.
        /// Without `withReasons` only the status and the state names: nothing a server or library wrote, for a
        /// request that did not prove it may see internals.
        QByteArray json(const QString &failedStatus, bool withReasons = true) const;
    };

    /// A loop whose heartbeat is older than `stallUs` counts as stuck.
    static Verdict liveness(const EngineSnapshot &snapshot, std::int64_t nowUs, std::int64_t stallUs);
    static Verdict readiness(const EngineSnapshot &snapshot);
};

} // namespace iot
