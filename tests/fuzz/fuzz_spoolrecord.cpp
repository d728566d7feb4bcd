// SPDX-License-Identifier: MIT
// libFuzzer target: the spool reader meets whatever a power loss or a bit flip leaves on disk. decode() and
// resync() must never crash or read past the buffer, a decoded record must lie inside it, and a record we encode
// must decode to the same bytes.
#include "spool/spoolrecord.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace iot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    char *copy = static_cast<char *>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);

    // Scan the input the way Spool::open and Spool::read do.
    std::size_t off = 0;
    std::size_t steps = 0;
    while (off < size) {
        if (++steps > size + 1)
            std::abort();  // no progress: a hang
        SpoolRecord::View v;
        const auto d = SpoolRecord::decode(copy + off, size - off, v);
        if (d == SpoolRecord::Decode::Ok) {
            if (v.size < SpoolRecord::HeaderSize || off + v.size > size)
                std::abort();
            if (v.topic.data() < copy || v.payload.data() + v.payload.size() > copy + size)
                std::abort();
            off += v.size;
            continue;
        }
        const std::size_t next = SpoolRecord::resync(copy, size, off + 1);
        if (next <= off || next > size)
            std::abort();
        off = next;
    }

    // Round trip: the first bytes as a topic, the rest as a payload.
    const std::size_t topicSize = size ? data[0] % (size < 64 ? size : 64) : 0;
    const QByteArrayView topic(copy, static_cast<qsizetype>(topicSize));
    const QByteArrayView payload(copy + topicSize, static_cast<qsizetype>(size - topicSize));
    std::vector<char> record(SpoolRecord::encodedSize(topicSize, size - topicSize));
    SpoolRecord::encode(record.data(), topic, payload, 1234567);
    SpoolRecord::View v;
    if (SpoolRecord::decode(record.data(), record.size(), v) != SpoolRecord::Decode::Ok || v.receivedAtUs != 1234567
        || v.topic != topic || v.payload != payload)
        std::abort();
    // Any single bit flip must be caught.
    if (!record.empty()) {
        const std::size_t bit = (size * 7919u) % (record.size() * 8);
        record[bit / 8] = static_cast<char>(record[bit / 8] ^ (1 << (bit % 8)));
        SpoolRecord::View w;
        if (SpoolRecord::decode(record.data(), record.size(), w) == SpoolRecord::Decode::Ok)
            std::abort();
    }
    std::free(copy);
    return 0;
}
