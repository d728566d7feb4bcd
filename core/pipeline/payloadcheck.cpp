// SPDX-License-Identifier: MIT
#include "pipeline/payloadcheck.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace iot {
namespace {

using Bytes = const unsigned char *;

// Returns the offset of the first byte that breaks UTF-8 (or a raw NUL), or -1 when all is well.
// Plain ASCII runs are skipped eight bytes at a time: most sensor payloads are pure ASCII.
std::ptrdiff_t firstBadUtf8(Bytes s, std::size_t n, bool &isNul)
{
    std::size_t i = 0;
    isNul = false;
    while (i < n) {
        if (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, s + i, 8);
            // No high bit and no zero byte in the word: skip it whole.
            const bool high = (w & 0x8080808080808080ULL) != 0;
            const bool zero = ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0;
            if (!high && !zero) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = s[i];
        if (c == 0) {
            isNul = true;
            return static_cast<std::ptrdiff_t>(i);
        }
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;        // overlong
            if (c == 0xED) hi = 0x9F;        // UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;        // overlong
            if (c == 0xF4) hi = 0x8F;        // above U+10FFFF
        } else {
            return static_cast<std::ptrdiff_t>(i);
        }
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
            return static_cast<std::ptrdiff_t>(i);
        for (std::size_t k = 2; k < len; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return static_cast<std::ptrdiff_t>(i);
        }
        i += len;
    }
    return -1;
}

// Whether n bytes at a and b are the same: word by word inline (a wanted key against a payload's key, 2-30 bytes;
// a memcmp call was ~20 instructions per compare), the last word overlapping the one before.
[[gnu::always_inline]] inline bool equalBytes(const char *a, const char *b, std::size_t n)
{
    if (n >= 8) {
        std::uint64_t diff = 0, x, y;
        for (std::size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&x, a + i, 8);
            std::memcpy(&y, b + i, 8);
            diff |= x ^ y;
        }
        std::memcpy(&x, a + n - 8, 8);
        std::memcpy(&y, b + n - 8, 8);
        return (diff | (x ^ y)) == 0;
    }
    if (n >= 4) {
        std::uint32_t x1, y1, x2, y2;
        std::memcpy(&x1, a, 4);
        std::memcpy(&y1, b, 4);
        std::memcpy(&x2, a + n - 4, 4);
        std::memcpy(&y2, b + n - 4, 4);
        return ((x1 ^ y1) | (x2 ^ y2)) == 0;
    }
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

// A cursor over the payload that records the first error; JSON grammar of RFC 8259, section by section.
struct Scanner
{
    Bytes s;
    std::size_t n;
    std::size_t pos = 0;
    PayloadCheckResult err;
    PayloadMembers *members = nullptr;   // document<true>: the top-level members wanted
    bool escaped = false;                // string() saw a backslash (read for keys only)

    bool fail(PayloadVerdict v, const char *detail)
    {
        err.verdict = v;
        err.offset = pos;
        err.detail = detail;
        return false;
    }
    bool atEnd() const { return pos >= n; }
    unsigned char peek() const { return pos < n ? s[pos] : 0; }
    void skipWs()
    {
        while (pos < n && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
            ++pos;
    }
    static int hex(unsigned char c)
    {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    bool hex4(unsigned &out)
    {
        if (pos + 4 > n)
            return fail(PayloadVerdict::InvalidJson, "truncated \\u escape");
        out = 0;
        for (int k = 0; k < 4; ++k) {
            const int h = hex(s[pos + static_cast<std::size_t>(k)]);
            if (h < 0)
                return fail(PayloadVerdict::InvalidJson, "bad hex digit in \\u escape");
            out = out * 16 + static_cast<unsigned>(h);
        }
        pos += 4;
        return true;
    }
    bool string()
    {
        ++pos;  // opening quote
        while (pos < n) {
            const unsigned char c = s[pos];
            if (c == '"') {
                ++pos;
                return true;
            }
            if (c < 0x20)
                return fail(PayloadVerdict::InvalidJson, "control character in string");
            if (c != '\\') {
                ++pos;
                continue;
            }
            ++pos;
            escaped = true;
            if (pos >= n)
                break;
            const unsigned char e = s[pos++];
            if (e == 'u') {
                const std::size_t escape = pos - 2;  // errors point at the backslash of the offending escape
                unsigned cp;
                if (!hex4(cp))
                    return false;
                if (cp == 0) {
                    pos -= 6;
                    return fail(PayloadVerdict::NulCharacter, "\\u0000 in string");
                }
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    pos = escape;
                    return fail(PayloadVerdict::InvalidJson, "lone low surrogate");
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low;
                    if (pos + 2 > n || s[pos] != '\\' || s[pos + 1] != 'u') {
                        pos = escape;
                        return fail(PayloadVerdict::InvalidJson, "high surrogate without low surrogate");
                    }
                    pos += 2;
                    if (!hex4(low))
                        return false;
                    if (low < 0xDC00 || low > 0xDFFF) {
                        pos = escape;
                        return fail(PayloadVerdict::InvalidJson, "high surrogate without low surrogate");
                    }
                }
            } else if (!std::strchr("\"\\/bfnrt", e) || e == 0) {
                --pos;
                return fail(PayloadVerdict::InvalidJson, "invalid escape");
            }
        }
        return fail(PayloadVerdict::InvalidJson, "unterminated string");
    }
    bool digits()
    {
        const std::size_t start = pos;
        while (pos < n && s[pos] >= '0' && s[pos] <= '9')
            ++pos;
        return pos > start || fail(PayloadVerdict::InvalidJson, "expected a digit");
    }
    // digits(), and with Convert the digits' value folded into `mantissa` on the way (it wraps past 19 digits;
    // only used up to 15).
    template <bool Convert>
    bool digits(std::uint64_t &mantissa)
    {
        const std::size_t start = pos;
        for (; pos < n && unsigned(s[pos] - '0') < 10; ++pos) {
            if constexpr (Convert)
                mantissa = mantissa * 10 + unsigned(s[pos] - '0');
        }
        return pos > start || fail(PayloadVerdict::InvalidJson, "expected a digit");
    }
    // A top-level member's value that may be a wanted field's (document<true>): a number is converted while its
    // digits are checked, if it is a plain decimal of at most 15 significant digits written without an exponent —
    // the digits as an integer below 2^53 and one division by an exact power of ten, correctly rounded, so the
    // same double as std::from_chars. Anything else is left to the caller (numberValue stays NaN).
    bool convert = false;
    std::size_t numberAt = SIZE_MAX;     // where the last converted number starts (member(): is it the value?)
    double numberValue = 0;
    bool number() { return convert ? number<true>() : number<false>(); }
    template <bool Convert>
    bool number()
    {
        const std::size_t start = pos;
        const bool negative = peek() == '-';
        if (negative)
            ++pos;
        const std::size_t intStart = pos;
        std::uint64_t mantissa = 0;
        if (peek() == '0') {
            ++pos;
        } else if (peek() >= '1' && peek() <= '9') {
            digits<Convert>(mantissa);
        } else {
            return fail(PayloadVerdict::InvalidJson, "expected a digit");
        }
        const std::size_t intDigits = pos - intStart;
        std::size_t fracStart = pos, fracDigits = 0;
        if (peek() == '.') {
            ++pos;
            fracStart = pos;
            if (!digits<Convert>(mantissa))
                return false;
            fracDigits = pos - fracStart;
        }
        if constexpr (Convert) {
            static constexpr double Pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
            const unsigned char next = peek();
            if (next != 'e' && next != 'E' && intDigits + fracDigits <= 15) {
                const double value = double(mantissa) / Pow10[fracDigits];
                numberValue = negative ? -value : value;
                numberAt = start;
            }
        }
        long long exponent = 0;
        if (peek() == 'e' || peek() == 'E') {
            ++pos;
            const bool negative = peek() == '-';
            if (peek() == '+' || peek() == '-')
                ++pos;
            const std::size_t expStart = pos;
            if (!digits())
                return false;
            for (std::size_t i = expStart; i < pos && exponent < NumericMaxExponent; ++i)
                exponent = exponent * 10 + (s[i] - '0');  // saturates: anything this large is refused below
            exponent = negative ? -exponent : exponent;
        }
        return inNumericRange(start, intStart, intDigits, fracStart, fracDigits, exponent);
    }
    // What PostgreSQL's numeric (and so jsonb) can hold, as numeric_in decides it: an exponent below 2^30 - 1,
    // at most 16,383 digits after the point as written (trailing zeros count), and the first significant digit
    // at most 131,071 places before the point. Checked against PostgreSQL 15 (tst_payloadcheck's table).
    static constexpr long long NumericMaxExponent = 1073741823;  // INT_MAX / 2
    static constexpr long long NumericMaxScale = 16383;
    static constexpr long long NumericMaxLeadingPlace = 131071;
    bool inNumericRange(std::size_t start, std::size_t intStart, std::size_t intDigits, std::size_t fracStart,
                        std::size_t fracDigits, long long exponent)
    {
        const auto refuse = [&](const char *why) {
            pos = start;
            return fail(PayloadVerdict::OutOfRange, why);
        };
        if (exponent >= NumericMaxExponent || exponent <= -NumericMaxExponent)
            return refuse("number outside PostgreSQL's numeric range (exponent)");
        if (static_cast<long long>(fracDigits) - exponent > NumericMaxScale)
            return refuse("number outside PostgreSQL's numeric range (more than 16383 digits after the point)");
        // The place of the first non-zero digit: 0 for the units, 2 for hundreds, -1 for tenths.
        long long leading = 0;
        if (s[intStart] != '0') {
            leading = static_cast<long long>(intDigits) - 1;
        } else {
            std::size_t i = 0;
            while (i < fracDigits && s[fracStart + i] == '0')
                ++i;
            if (i == fracDigits)
                return true;  // zero: only the scale limits it
            leading = -static_cast<long long>(i) - 1;
        }
        if (leading + exponent > NumericMaxLeadingPlace)
            return refuse("number outside PostgreSQL's numeric range (too large)");
        return true;
    }
    bool literal(const char *word)
    {
        const std::size_t len = std::strlen(word);
        if (pos + len > n || std::memcmp(s + pos, word, len) != 0)
            return fail(PayloadVerdict::InvalidJson, "unexpected character");
        pos += len;
        return true;
    }
    bool scalar()
    {
        const unsigned char c = peek();
        if (c == '"') return string();
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        if (atEnd()) return fail(PayloadVerdict::InvalidJson, "unexpected end of input");
        return fail(PayloadVerdict::InvalidJson, "unexpected character");
    }
    // Object member prefix: "key" ws ':' ws
    bool memberKey()
    {
        if (peek() != '"')
            return fail(PayloadVerdict::InvalidJson, "expected a string key");
        if (!string())
            return false;
        skipWs();
        if (peek() != ':')
            return fail(PayloadVerdict::InvalidJson, "expected ':'");
        ++pos;
        skipWs();
        return true;
    }

    // A top-level member's key [keyAt, keyAt + keySize) and its value's text [valueAt, pos): compared with the
    // wanted keys (document<true> only), and only for a key that may be one of them (kept when wanted).
    std::size_t keyAt = 0, keySize = 0, valueAt = 0;
    bool keyEscaped = false;
    std::uint64_t lengths = 0;   // bit i: a wanted key of i bytes, modulo 64 (set by run())
    bool wantNumbers = false;    // members->numbers is set
    [[gnu::always_inline]] void member()
    {
        PayloadMembers &m = *members;
        if (keyEscaped) {
            m.escapedKey = true;
            return;
        }
        const char *const key = reinterpret_cast<const char *>(s + keyAt);
        for (std::size_t k = 0; k < m.n; ++k) {
            if (std::size_t(m.keys[k].size()) != keySize || !equalBytes(m.keys[k].data(), key, keySize))
                continue;
            if (m.seen[k] < 2)
                ++m.seen[k];
            m.values[k] = QByteArrayView(reinterpret_cast<const char *>(s + valueAt),
                                         static_cast<qsizetype>(pos - valueAt));
            if (m.numbers)
                m.numbers[k] = numberAt == valueAt ? numberValue : std::numeric_limits<double>::quiet_NaN();
        }
    }
    // memberKey() at the top level; `memberDepth` 1 when the key may be one of them (member() after its value),
    // else -1.
    bool topKey(int &memberDepth)
    {
        if (peek() != '"')
            return fail(PayloadVerdict::InvalidJson, "expected a string key");
        const std::size_t at = pos + 1;
        escaped = false;
        if (!string())
            return false;
        const std::size_t size = pos - 1 - at;
        // Branch-free: the length's bit (modulo 64: a long key only costs member() a compare) or an escape; the
        // key's place is stored whether wanted or not (cheaper than testing).
        const bool wanted = ((unsigned(lengths >> (size & 63)) & 1U) | unsigned(escaped)) != 0;
        memberDepth = wanted ? 1 : -1;   // member() once the walk is back at depth 1: one compare per value
        keyAt = at;
        keySize = size;
        keyEscaped = escaped;
        skipWs();
        if (peek() != ':')
            return fail(PayloadVerdict::InvalidJson, "expected ':'");
        ++pos;
        skipWs();
        valueAt = pos;
        convert = wanted & wantNumbers;
        return true;
    }

    template <bool Capture>
    bool document(int maxDepth)
    {
        std::uint64_t objectBits = 0;  // bit d set: container at depth d is an object
        int depth = 0;
        // The current top-level key may be a wanted one. Only topKey() sets it, at depth 1 of an object: the
        // top-level object's members (a top-level array's depth 1 has no keys).
        [[maybe_unused]] int memberDepth = -1;
        skipWs();
        if constexpr (Capture)
            members->object = peek() == '{';
        for (;;) {
            // Expecting a value.
            const unsigned char c = peek();
            if (c == '{' || c == '[') {
                if (depth >= maxDepth)
                    return fail(PayloadVerdict::TooDeep, "nesting deeper than the limit");
                const bool isObject = c == '{';
                objectBits = (objectBits & ~(1ULL << depth)) | (std::uint64_t(isObject) << depth);
                ++depth;
                ++pos;
                skipWs();
                if (peek() == (isObject ? '}' : ']')) {
                    ++pos;
                    --depth;
                } else {
                    if (isObject) {
                        if constexpr (Capture) {
                            if (depth == 1 ? !topKey(memberDepth) : !memberKey())
                                return false;
                        } else if (!memberKey()) {
                            return false;
                        }
                    }
                    continue;
                }
            } else if (!scalar()) {
                return false;
            }
            // After a value: close containers or move to the next element.
            if constexpr (Capture) {
                if (depth == memberDepth)
                    member();
            }
            for (;;) {
                skipWs();
                if (depth == 0)
                    return atEnd() || fail(PayloadVerdict::InvalidJson, "trailing characters after the value");
                const bool inObject = (objectBits >> (depth - 1)) & 1U;
                const unsigned char d = peek();
                if (d == ',') {
                    ++pos;
                    skipWs();
                    if (inObject) {
                        if constexpr (Capture) {
                            if (depth == 1 ? !topKey(memberDepth) : !memberKey())
                                return false;
                        } else if (!memberKey()) {
                            return false;
                        }
                    }
                    break;
                }
                if (d == (inObject ? '}' : ']')) {
                    ++pos;
                    --depth;
                    if constexpr (Capture) {
                        if (depth == memberDepth)
                            member();   // a container that was a top-level member's value
                    }
                    continue;
                }
                return fail(PayloadVerdict::InvalidJson, inObject ? "expected ',' or '}'" : "expected ',' or ']'");
            }
        }
    }
};

} // namespace

PayloadCheck::PayloadCheck(std::size_t maxBytes, int maxDepth)
    // The container stack is a 64-bit mask (one bit per open level), so 64 levels is the most it can track.
    : m_maxBytes(maxBytes), m_maxDepth(maxDepth > 64 ? 64 : maxDepth)
{
}

PayloadCheckResult PayloadCheck::check(QByteArrayView payload) const
{
    return run(payload, nullptr);
}

PayloadCheckResult PayloadCheck::run(QByteArrayView payload, PayloadMembers *members) const
{
    PayloadCheckResult r;
    std::uint64_t lengths = 0;
    if (members) {
        members->object = false;
        members->escapedKey = false;
        for (std::size_t k = 0; k < members->n; ++k) {
            members->seen[k] = 0;
            lengths |= std::uint64_t(1) << (std::size_t(members->keys[k].size()) & 63);
        }
    }
    const auto n = static_cast<std::size_t>(payload.size());
    if (n == 0) {
        r.verdict = PayloadVerdict::Empty;
        r.detail = "empty payload";
        return r;
    }
    if (n > m_maxBytes) {
        r.verdict = PayloadVerdict::TooLarge;
        r.offset = m_maxBytes;
        r.detail = "payload larger than max_payload_bytes";
        return r;
    }
    const auto *bytes = reinterpret_cast<Bytes>(payload.data());
    bool isNul = false;
    const std::ptrdiff_t bad = firstBadUtf8(bytes, n, isNul);
    if (bad >= 0) {
        r.verdict = isNul ? PayloadVerdict::NulCharacter : PayloadVerdict::InvalidUtf8;
        r.offset = static_cast<std::size_t>(bad);
        r.detail = isNul ? "NUL byte" : "invalid UTF-8 sequence";
        return r;
    }
    Scanner sc{bytes, n, 0, {}, members};
    sc.lengths = lengths;
    sc.wantNumbers = members && members->numbers;
    if (!(members ? sc.document<true>(m_maxDepth) : sc.document<false>(m_maxDepth)))
        return sc.err;
    return r;
}

const char *PayloadCheck::verdictName(PayloadVerdict v)
{
    switch (v) {
    case PayloadVerdict::Ok: return "ok";
    case PayloadVerdict::Empty: return "empty";
    case PayloadVerdict::TooLarge: return "too_large";
    case PayloadVerdict::InvalidUtf8: return "invalid_utf8";
    case PayloadVerdict::InvalidJson: return "invalid_json";
    case PayloadVerdict::NulCharacter: return "nul_character";
    case PayloadVerdict::TooDeep: return "too_deep";
    case PayloadVerdict::OutOfRange: return "out_of_range";
    }
    return "unknown";
}

QString PayloadCheckResult::reason() const
{
    if (verdict == PayloadVerdict::Ok)
        return {};
    return QString::fromLatin1(PayloadCheck::verdictName(verdict)) + QStringLiteral(" at byte ")
        + QString::number(offset) + QStringLiteral(": ") + QString::fromLatin1(detail);
}

Reasons::DeadLetter PayloadCheckResult::deadLetter() const
{
    using Reasons::DeadLetter;
    switch (verdict) {
    case PayloadVerdict::Empty: return DeadLetter::Empty;
    case PayloadVerdict::TooLarge: return DeadLetter::TooLarge;
    case PayloadVerdict::InvalidUtf8: return DeadLetter::InvalidUtf8;
    case PayloadVerdict::InvalidJson: return DeadLetter::InvalidJson;
    case PayloadVerdict::NulCharacter: return DeadLetter::NulCharacter;
    case PayloadVerdict::TooDeep: return DeadLetter::TooDeep;
    case PayloadVerdict::OutOfRange: return DeadLetter::OutOfRange;
    case PayloadVerdict::Ok: break;
    }
    return DeadLetter::Other;
}

} // namespace iot
