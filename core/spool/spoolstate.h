// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace iot {

/// Whether the spool takes new records and, if not, why: a closed set whose names are the metric label values and
/// the words of /readyz. Set on the ingest thread (Spool, Batcher), read anywhere through the engine snapshot.
enum class SpoolState : std::uint8_t {
    Ok,
    DiskFull,     // the space for the next records could not be reserved (ENOSPC, EDQUOT)
    WriteError,   // reserving space or creating a segment failed otherwise (EIO, ...)
    SyncError,    // fdatasync failed: records since the last good sync are not known to be on disk
    Count
};

constexpr std::size_t SpoolStateCount = std::size_t(SpoolState::Count);
constexpr std::array<const char *, SpoolStateCount> SpoolStateNames{"ok", "disk_full", "write_error", "sync_error"};

constexpr const char *spoolStateName(SpoolState s)
{
    return SpoolStateNames[std::size_t(s) < SpoolStateCount ? std::size_t(s) : 0];
}

} // namespace iot
