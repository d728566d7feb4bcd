// SPDX-License-Identifier: MIT
#include "mapping/jsonpointer.h"

#include <QList>
#include <QString>

#include <algorithm>
#include <bit>
#include <cstdint>

#include <cstring>

namespace iot {
namespace {

bool isWs(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *skipWs(const char *p, const char *end)
{
    while (p < end && static_cast<unsigned char>(*p) <= ' ' && isWs(*p))
        ++p;
    return p;
}

// The first '"' or '\\' at or after `p` (or `end`): eight bytes per step where the machine allows.
[[gnu::always_inline]] inline const char *findQuoteOrBackslash(const char *p, const char *end)
{
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t Ones = 0x0101010101010101ULL;
        constexpr std::uint64_t Highs = 0x8080808080808080ULL;
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            const std::uint64_t q = w ^ (Ones * '"');
            const std::uint64_t b = w ^ (Ones * '\\');
            // A zero byte of q or b is a hit; the lowest flagged byte is always a true one.
            const std::uint64_t hit = (((q - Ones) & ~q) | ((b - Ones) & ~b)) & Highs;
            if (hit)
                return p + (std::countr_zero(hit) >> 3);
            p += 8;
        }
    }
    while (p < end && *p != '"' && *p != '\\')
        ++p;
    return p;
}

// Where a number or a literal that starts at `p` ends: at whitespace , } ] (or `end`), eight bytes per step.
[[gnu::always_inline]] inline const char *skipScalar(const char *p, const char *end)
{
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t Ones = 0x0101010101010101ULL;
        constexpr std::uint64_t Highs = 0x8080808080808080ULL;
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            const std::uint64_t c = w ^ (Ones * ',');
            const std::uint64_t b = w ^ (Ones * '}');
            const std::uint64_t s = w ^ (Ones * ']');
            // Zero bytes of c, b, s, and bytes below 0x21 (whitespace and other controls, which end the value's
            // text for skipValue() too only when they are whitespace: any other control is left to the byte loop).
            const std::uint64_t hit = (((c - Ones) & ~c) | ((b - Ones) & ~b) | ((s - Ones) & ~s)
                                       | ((w - Ones * 0x21) & ~w)) & Highs;
            if (hit) {
                p += std::countr_zero(hit) >> 3;
                break;
            }
            p += 8;
        }
    }
    while (p < end && !isWs(*p) && *p != ',' && *p != '}' && *p != ']')
        ++p;
    return p;
}

// `p` at the opening quote: past the closing one, or nullptr.
const char *skipString(const char *p, const char *end)
{
    for (++p; p < end; ++p) {
        if (*p == '\\')
            ++p;
        else if (*p == '"')
            return p + 1;
    }
    return nullptr;
}

// Members of the object or elements of the array whose text starts at `p` ('{' or '['), one by one.
struct Walker
{
    const char *p;
    const char *end;
    char close;
    bool first = true;

    Walker(const char *begin, const char *e) : p(begin + 1), end(e), close(*begin == '{' ? '}' : ']') {}

    // Moves to the next member/element; false at the end (or on malformed text, which validated payloads are not).
    bool next()
    {
        p = skipWs(p, end);
        if (p >= end || *p == close)
            return false;
        if (!first) {
            if (*p != ',')
                return false;
            p = skipWs(p + 1, end);
        }
        first = false;
        return p < end;
    }
};

} // namespace

JsonPointer::JsonPointer(QStringView pointer)
{
    if (pointer.isEmpty())
        return;
    for (const QStringView part : pointer.mid(1).split(QLatin1Char('/'))) {
        Token t;
        t.key = part.toString().replace(QStringLiteral("~1"), QStringLiteral("/"))
                    .replace(QStringLiteral("~0"), QStringLiteral("~")).toUtf8();
        const bool digits = !t.key.isEmpty() && t.key.size() <= 9
            && std::all_of(t.key.cbegin(), t.key.cend(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits && (t.key.size() == 1 || t.key[0] != '0'))
            t.index = t.key.toInt();
        m_tokens.push_back(std::move(t));
    }
}

const char *JsonPointer::skipValue(const char *p, const char *end)
{
    p = skipWs(p, end);
    if (p >= end)
        return nullptr;
    if (*p == '"')
        return skipString(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < end; ++p) {
            switch (*p) {
            case '"':
                p = skipString(p, end);
                if (!p)
                    return nullptr;
                --p;
                break;
            case '{':
            case '[': ++depth; break;
            case '}':
            case ']':
                if (--depth == 0)
                    return p + 1;
                break;
            default: break;
            }
        }
        return nullptr;
    }
    // A number or a literal: up to the next delimiter.
    const char *b = p;
    while (p < end && !isWs(*p) && *p != ',' && *p != '}' && *p != ']')
        ++p;
    return p > b ? p : nullptr;
}

QByteArrayView JsonPointer::trimmed(QByteArrayView json)
{
    const char *b = json.data();
    const char *e = b + json.size();
    b = skipWs(b, e);
    while (e > b && isWs(e[-1]))
        --e;
    return QByteArrayView(b, e - b);
}

JsonPointer::Result JsonPointer::resolve(QByteArrayView json, QByteArrayView &value) const
{
    const char *const end = json.data() + json.size();
    const char *cur = skipWs(json.data(), end);
    for (const Token &t : m_tokens) {
        if (cur >= end || (*cur != '{' && *cur != '['))
            return Result::Missing;
        const bool object = *cur == '{';
        if (!object && t.index < 0)
            return Result::Missing;
        Walker w(cur, end);
        const char *found = nullptr;
        int i = 0;
        while (w.next()) {
            if (object) {
                if (*w.p != '"')
                    return Result::Unsure;
                const char *keyEnd = skipString(w.p, end);
                if (!keyEnd)
                    return Result::Unsure;
                const QByteArrayView key(w.p + 1, keyEnd - w.p - 2);
                // An escaped key ("\u0074emp") may spell the token: only a real JSON parser can tell.
                if (std::memchr(key.data(), '\\', std::size_t(key.size())))
                    return Result::Unsure;
                const char *colon = skipWs(keyEnd, end);
                if (colon >= end || *colon != ':')
                    return Result::Unsure;
                const char *v = skipWs(colon + 1, end);
                const char *vEnd = skipValue(v, end);
                if (!vEnd)
                    return Result::Unsure;
                if (key == QByteArrayView(t.key)) {
                    // Which of two equal keys counts is the parser's choice; let it make it.
                    if (found)
                        return Result::Unsure;
                    found = v;
                }
                w.p = vEnd;
            } else {
                const char *vEnd = skipValue(w.p, end);
                if (!vEnd)
                    return Result::Unsure;
                if (i++ == t.index) {
                    found = w.p;
                    break;
                }
                w.p = vEnd;
            }
        }
        if (!found)
            return Result::Missing;
        cur = found;
    }
    const char *vEnd = skipValue(cur, end);
    if (!vEnd)
        return m_tokens.empty() ? Result::Unsure : Result::Missing;
    value = QByteArrayView(cur, vEnd - cur);
    return Result::Found;
}

bool JsonPointer::singleKey(QByteArray &key) const
{
    if (m_tokens.size() != 1)
        return false;
    key = m_tokens.front().key;
    return true;
}

bool JsonPointer::resolveMembers(QByteArrayView json, const QByteArrayView *keys, std::size_t n, Result *results,
                                 QByteArrayView *values)
{
    for (std::size_t k = 0; k < n; ++k)
        results[k] = Result::Missing;
    const char *const end = json.data() + json.size();
    const char *p = skipWs(json.data(), end);
    if (p < end && *p == '[')
        return false;   // resolve()'s: a key "0" is an index there
    if (p >= end || *p != '{')
        return true;
    const auto unsure = [&] {
        for (std::size_t k = 0; k < n; ++k)
            results[k] = Result::Unsure;
        return true;
    };
    // The walk of resolve() over one object (same answers on the same text), written for the common payload: every
    // member's key compared with all the keys at once, a number or a string skipped in a tight loop, nested
    // objects and arrays by skipValue().
    std::uint64_t lengths = 0;   // bit i: a key of i bytes (keys of 64 bytes or more compared always)
    for (std::size_t k = 0; k < n; ++k)
        if (keys[k].size() < 64)
            lengths |= std::uint64_t(1) << keys[k].size();
    ++p;
    bool first = true;
    for (;;) {
        p = skipWs(p, end);
        if (p >= end || *p == '}')
            break;
        if (!first) {
            if (*p != ',')
                break;
            p = skipWs(p + 1, end);
            if (p >= end)
                break;
        }
        first = false;
        if (*p != '"')
            return unsure();
        const char *const key = ++p;
        p = findQuoteOrBackslash(p, end);
        // An escaped key ("\u0074emp") may spell one of the keys: only a real JSON parser can tell.
        if (p >= end || *p == '\\')
            return unsure();
        const auto keySize = std::size_t(p - key);
        p = skipWs(p + 1, end);
        if (p >= end || *p != ':')
            return unsure();
        const char *const v = p = skipWs(p + 1, end);
        if (p >= end)
            return unsure();
        if (*p == '"') {
            for (p = findQuoteOrBackslash(p + 1, end); p < end && *p == '\\';)
                p = findQuoteOrBackslash(p + 2 < end ? p + 2 : end, end);
            if (p >= end)
                return unsure();
            ++p;
        } else if (*p == '{' || *p == '[') {
            p = skipValue(p, end);
            if (!p)
                return unsure();
        } else {
            p = skipScalar(p, end);
            if (p == v)
                return unsure();   // no value at all ("a":})
        }
        if (keySize < 64 && !(lengths >> keySize & 1))
            continue;   // no key of this length
        for (std::size_t k = 0; k < n; ++k) {
            if (std::size_t(keys[k].size()) != keySize || std::memcmp(keys[k].data(), key, keySize) != 0)
                continue;
            // Which of two equal keys counts is the parser's choice: unsure, as resolve().
            results[k] = results[k] == Result::Missing ? Result::Found : Result::Unsure;
            values[k] = QByteArrayView(v, p - v);
        }
    }
    return true;
}

} // namespace iot
