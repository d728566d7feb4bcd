// SPDX-License-Identifier: MIT
#pragma once

#include "export/exportrequest.h"
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
/// `iot-subscriber export`: 2 for a request that does not fit the config, 1 when the database or the output failed.
ExitCode exitCodeFor(const ExportOutcome &outcome);

} // namespace iot
