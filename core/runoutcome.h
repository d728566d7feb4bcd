// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

namespace iot {

/// How a front end's run ended, reported by the headless service and the desktop alike; app/exitcode.* turns it
/// into the process's exit code, in one place for both.
struct RunOutcome
{
    enum class Ending {
        Stopped,       // a requested stop (signal, window closed): everything committed unless `unwritten` says not
        StartFailed,   // the engine could not start (spool locked, observability port taken, ...)
        Fatal,         // a problem no retry fixes (e.g. [[mappings]] conflicting with an existing table)
    };
    Ending ending = Ending::Stopped;
    quint64 unwritten = 0;   // messages the engine could not commit before it stopped
};

} // namespace iot
