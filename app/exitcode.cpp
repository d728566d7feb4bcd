// SPDX-License-Identifier: MIT
#include "exitcode.h"

namespace iot {

ExitCode exitCodeFor(const RunOutcome &outcome)
{
    switch (outcome.ending) {
    case RunOutcome::Ending::Fatal:
        return ExitCode::Config;
    case RunOutcome::Ending::StartFailed:
        return ExitCode::Failure;
    case RunOutcome::Ending::Stopped:
        break;
    }
    return outcome.unwritten > 0 ? ExitCode::Failure : ExitCode::Ok;
}

ExitCode exitCodeFor(const ExportOutcome &outcome)
{
    switch (outcome.ending) {
    case ExportOutcome::Ending::Done:
        return ExitCode::Ok;
    case ExportOutcome::Ending::BadRequest:
        return ExitCode::Config;
    case ExportOutcome::Ending::DatabaseFailed:
    case ExportOutcome::Ending::OutputFailed:
    case ExportOutcome::Ending::Cancelled:
        break;
    }
    return ExitCode::Failure;
}

} // namespace iot
