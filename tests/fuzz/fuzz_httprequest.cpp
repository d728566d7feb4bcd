// SPDX-License-Identifier: MIT
// libFuzzer target: the observability port's request parser and bearer check must never crash, hang or read out of
// bounds on whatever a client sends, and their verdicts must hold together: a complete head ends in a blank line
// inside the limit and parses the same when cut right there; a refused head stays refused whatever follows; the
// constant-time compare agrees with ordinary equality.
#include "observability/bearertoken.h"
#include "observability/httprequestparser.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

using iot::HttpRequestParser;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // A copy with no slack behind it, so any over-read trips AddressSanitizer.
    char *copy = static_cast<char *>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    const QByteArrayView all(copy, static_cast<qsizetype>(size));
    // The first byte picks a small limit now and then, so the too-large paths are reached with short inputs.
    const qsizetype limit = size > 0 && (data[0] & 1) ? 16 + data[0] : HttpRequestParser::DefaultMaxHeadBytes;

    const HttpRequestParser::Result r = HttpRequestParser::parse(all, limit);
    const HttpRequestParser::Result again = HttpRequestParser::parse(all, limit);
    if (r.outcome != again.outcome)
        std::abort();
    if (r.outcome == HttpRequestParser::Outcome::Complete) {
        const auto &q = r.request;
        if (q.headBytes < 4 || q.headBytes > limit || q.headBytes > all.size()
            || all.sliced(q.headBytes - 4, 4) != QByteArrayView("\r\n\r\n"))
            std::abort();
        if (!q.target.startsWith('/') || !q.target.startsWith(q.path) || q.method.isEmpty())
            std::abort();
        if (q.minorVersion != 0 && q.minorVersion != 1)
            std::abort();
        const HttpRequestParser::Result cut = HttpRequestParser::parse(all.first(q.headBytes), limit);
        if (cut.outcome != r.outcome || cut.request.target != q.target
            || cut.request.authorization != q.authorization)
            std::abort();
    }
    // Bytes that follow cannot mend a head that is already refused (as malformed or too large: a partial line is
    // judged by its bytes, the same line complete may first hit the field-count limit).
    const auto refused = [](HttpRequestParser::Outcome o) {
        return o == HttpRequestParser::Outcome::Malformed || o == HttpRequestParser::Outcome::TooLarge;
    };
    if (refused(HttpRequestParser::parse(all.first(all.size() / 2), limit).outcome) && !refused(r.outcome))
        std::abort();

    // The bearer check: the same answer as plain equality, for whatever token and header the input makes.
    const QByteArrayView token = all.first(std::min<qsizetype>(all.size(), 24));
    const QByteArrayView rest = all.sliced(token.size());
    if (iot::BearerToken::constantTimeEquals(token, rest) != (token == rest))
        std::abort();
    const iot::BearerToken bearer(QByteArrayLiteral("s3cr3t-token"));
    const bool accepted = bearer.accepts(rest);
    if (accepted && !rest.endsWith(QByteArrayView("s3cr3t-token")))
        std::abort();
    if (r.outcome == HttpRequestParser::Outcome::Complete)
        (void)bearer.accepts(r.request.authorization);
    std::free(copy);
    return 0;
}
