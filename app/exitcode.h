// SPDX-License-Identifier: MIT
#pragma once

#include "runoutcome.h"

namespace iot {

/// The process's exit codes (README, man page, the systemd unit's RestartPreventExitStatus=2).
enum class ExitCode : int {
    Ok = 0,
    Failure = 1,   // could not start, or stopped with messages not committed (they stay in the spool)
    Config = 2,    // the configuration is wrong: a restart cannot help
};

/// The one place that decides the exit code from how a run ended, for both front ends.
ExitCode exitCodeFor(const RunOutcome &outcome);

} // namespace iot
