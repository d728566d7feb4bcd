// SPDX-License-Identifier: MIT
#include "spool/spoolrecord.h"

#include <zlib.h>

#include <cstring>

namespace iot::SpoolRecord {
namespace {

// The spool is a local, per-machine file: host byte order would do, but little-endian keeps it portable.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "spool format assumes a little-endian host");

template <typename T>
T load(const char *p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T>
void store(char *p, T v)
{
    std::memcpy(p, &v, sizeof v);
}

std::uint32_t checksum(const char *data, std::size_t n)
{
    return static_cast<std::uint32_t>(
        crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(data), n));
}

} // namespace

std::size_t encodedSize(std::size_t topicSize, std::size_t payloadSize)
{
    return HeaderSize + topicSize + payloadSize;
}

void encode(char *out, QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs)
{
    const auto topicSize = static_cast<std::size_t>(topic.size());
    const auto payloadSize = static_cast<std::size_t>(payload.size());
    const std::size_t total = encodedSize(topicSize, payloadSize);
    store<std::int64_t>(out + 12, receivedAtUs);
    store<std::uint16_t>(out + 20, static_cast<std::uint16_t>(topicSize));
    std::memcpy(out + HeaderSize, topic.data(), topicSize);
    if (payloadSize)
        std::memcpy(out + HeaderSize + topicSize, payload.data(), payloadSize);
    store<std::uint32_t>(out + 8, checksum(out + 12, total - 12));
    store<std::uint32_t>(out + 4, static_cast<std::uint32_t>(total));
    // The magic goes last: a record torn by a crash mid-write never looks complete.
    store<std::uint32_t>(out, Magic);
}

Decode decode(const char *data, std::size_t available, View &out)
{
    if (available < 8) {
        for (std::size_t i = 0; i < available; ++i)
            if (data[i] != 0)
                return Decode::Truncated;
        return Decode::End;
    }
    const auto magic = load<std::uint32_t>(data);
    const auto total = load<std::uint32_t>(data + 4);
    if (magic == 0 && total == 0)
        return Decode::End;
    if (magic != Magic || total < HeaderSize || total > MaxRecordSize)
        return Decode::Corrupt;
    if (total > available)
        return Decode::Truncated;
    const auto topicSize = load<std::uint16_t>(data + 20);
    if (HeaderSize + topicSize > total)
        return Decode::Corrupt;
    if (load<std::uint32_t>(data + 8) != checksum(data + 12, total - 12))
        return Decode::Corrupt;
    out.receivedAtUs = load<std::int64_t>(data + 12);
    out.topic = QByteArrayView(data + HeaderSize, topicSize);
    out.payload = QByteArrayView(data + HeaderSize + topicSize, static_cast<qsizetype>(total - HeaderSize - topicSize));
    out.size = total;
    return Decode::Ok;
}

std::size_t resync(const char *data, std::size_t available, std::size_t from)
{
    const char m[4] = {'S', 'O', 'O', 'L'};
    for (std::size_t i = from; i + 4 <= available; ++i) {
        const void *hit = std::memchr(data + i, m[0], available - i);
        if (!hit)
            break;
        i = static_cast<std::size_t>(static_cast<const char *>(hit) - data);
        if (i + 4 > available)
            break;
        View v;
        if (std::memcmp(data + i, m, 4) == 0 && decode(data + i, available - i, v) == Decode::Ok)
            return i;
    }
    return available;
}

} // namespace iot::SpoolRecord
