// SPDX-License-Identifier: MIT
// libFuzzer target: the payload checker must never crash, hang or read out of bounds, and its verdict must be
// stable (the same bytes, the same answer) and consistent (Ok never comes with an offset or a detail); the walk that
// also reads top-level members (the alert feed's, whose verdict the writer trusts) must give the same verdict, and
// each member's value must lie inside the payload.
#include "pipeline/payloadcheck.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // A copy with no slack behind it, so any over-read trips AddressSanitizer.
    char *copy = static_cast<char *>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    const QByteArrayView view(copy, static_cast<qsizetype>(size));
    static const iot::PayloadCheck strict(1 << 20, 64);
    static const iot::PayloadCheck shallow(512, 4);
    const iot::PayloadCheckResult a = strict.check(view);
    const iot::PayloadCheckResult b = strict.check(view);
    if (a.verdict != b.verdict || a.offset != b.offset)
        std::abort();
    if (a.ok() && (a.offset != 0 || *a.detail != '\0'))
        std::abort();
    if (!a.ok() && a.offset > size && a.verdict != iot::PayloadVerdict::TooLarge)
        std::abort();
    static const QByteArrayView keys[] = {"a", "temp", "", "x/y"};
    std::uint8_t seen[4];
    QByteArrayView values[4];
    iot::PayloadMembers members{keys, 4, seen, values};
    const iot::PayloadCheckResult c = strict.check(view, members);
    if (c.verdict != a.verdict || c.offset != a.offset || std::strcmp(c.detail, a.detail) != 0)
        std::abort();
    for (std::size_t k = 0; c.ok() && members.object && k < 4; ++k)
        if (seen[k] && (values[k].data() < copy || values[k].data() + values[k].size() > copy + size))
            std::abort();
    (void)shallow.check(view);
    std::free(copy);
    return 0;
}
