// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>

namespace iot {

/// The fixed sets of reasons a message is dead-lettered or dropped for: stable names for metrics labels and the
/// UI (a closed set, so no label grows with the data). Each is decided where the message is judged (PayloadCheck,
/// Mapper, the writer), never read back from text.
namespace Reasons {

enum class DeadLetter : std::size_t {
    InvalidJson, InvalidUtf8, NulCharacter, Empty, TooLarge, TooDeep, OutOfRange, DbRejected, Mapping, Unmatched, Other,
    Count
};
enum class Drop : std::size_t { ShutdownTimeout, SpoolUnreadable, DeadLetterRefused, Count };

constexpr std::size_t DeadLetterCount = std::size_t(DeadLetter::Count);
constexpr std::size_t DropCount = std::size_t(Drop::Count);

constexpr std::array<const char *, DeadLetterCount> DeadLetterNames{"invalid_json", "invalid_utf8", "nul_character",
    "empty", "too_large", "too_deep", "out_of_range", "db_rejected", "mapping", "unmatched", "other"};
constexpr std::array<const char *, DropCount> DropNames{"shutdown_timeout", "spool_unreadable", "dead_letter_refused"};

} // namespace Reasons
} // namespace iot
