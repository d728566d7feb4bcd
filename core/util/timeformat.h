// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

namespace iot {

/// Formats receive times (µs since the Unix epoch, UTC) as ISO-8601 without going through QDateTime:
/// this runs once per stored row. Pure functions, any thread.
namespace TimeFormat {

constexpr std::size_t IsoLength = 27;  // "2026-11-27T02:21:05.123456Z"

/// Writes exactly IsoLength characters (no terminator) to `out`.
void isoUtc(std::int64_t epochUs, char *out);

/// Microseconds since the Unix epoch, from the system clock.
std::int64_t nowUs();

/// PostgreSQL's binary timestamptz: µs since 2000-01-01 00:00:00 UTC.
constexpr std::int64_t PgEpochOffsetUs = 946684800LL * 1000000LL;

} // namespace TimeFormat
} // namespace iot
