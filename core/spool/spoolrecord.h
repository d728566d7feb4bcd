// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

namespace iot {

/// The on-disk form of one spooled message, and its checks. Layout (little-endian):
///   u32 magic · u32 total length · u32 CRC-32 of bytes [12, length) · i64 receive time µs · u16 topic length ·
///   topic · payload
/// The magic lets a reader resynchronise after a damaged record; the CRC catches bit flips and torn writes.
/// Pure functions, any thread; the spool reader and the fuzz target use them.
namespace SpoolRecord {

constexpr std::uint32_t Magic = 0x4c4f4f53;  // "SOOL" as little-endian bytes: 'S','O','O','L'
constexpr std::size_t HeaderSize = 22;
constexpr std::size_t MaxTopicSize = 65535;
constexpr std::size_t MaxRecordSize = 512u * 1024u * 1024u;

struct View
{
    std::int64_t receivedAtUs = 0;
    QByteArrayView topic;
    QByteArrayView payload;
    std::size_t size = 0;  // bytes the record occupies
};

enum class Decode {
    Ok,          // a valid record; View filled
    End,         // zeros: the unwritten, preallocated rest of a segment
    Truncated,   // a header or body that runs past the available bytes
    Corrupt,     // wrong magic, impossible length or checksum mismatch
};

std::size_t encodedSize(std::size_t topicSize, std::size_t payloadSize);
/// Writes the record to `out` (encodedSize() bytes). The caller checked topic ≤ MaxTopicSize.
void encode(char *out, QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs);
Decode decode(const char *data, std::size_t available, View &out);
/// Offset of the next position ≥ `from` where a valid record starts, or `available` when there is none.
std::size_t resync(const char *data, std::size_t available, std::size_t from);

} // namespace SpoolRecord
} // namespace iot
