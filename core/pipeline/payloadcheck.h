// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/reasons.h"

#include <QByteArrayView>
#include <QString>

#include <cstddef>
#include <cstdint>

namespace iot {

/// Why a payload cannot be stored as JSON. Stable names: they appear in dead-letter rows and metrics labels.
enum class PayloadVerdict {
    Ok,
    Empty,
    TooLarge,
    InvalidUtf8,
    InvalidJson,
    NulCharacter,   // \u0000 or a raw NUL: PostgreSQL's jsonb and text cannot hold it
    TooDeep,
    OutOfRange,     // a number PostgreSQL's numeric refuses ("value overflows numeric format")
};

/// The outcome of checking one payload: a verdict plus, when it is not Ok, where and what.
struct PayloadCheckResult
{
    PayloadVerdict verdict = PayloadVerdict::Ok;
    std::size_t offset = 0;   // byte offset of the problem
    const char *detail = "";  // static text, e.g. "expected ':'"

    bool ok() const { return verdict == PayloadVerdict::Ok; }
    /// "invalid JSON at byte 17: expected ':'" — the text stored as the dead-letter reason.
    QString reason() const;
    /// The dead-letter class of a verdict that is not Ok.
    Reasons::DeadLetter deadLetter() const;
};

/// Top-level members a caller wants read in the same walk that checks the payload (AlertFeed: the alert rules'
/// one-level fields, so a message is walked once for both). For a payload that checks Ok and is an object the
/// answers are JsonPointer::resolveMembers()'s: a key seen once is found, twice is ambiguous, any key written with
/// escapes could spell one of them.
struct PayloadMembers
{
    const QByteArrayView *keys = nullptr;   // the members' names, unescaped ("a/b" for the pointer "/a~1b")
    std::size_t n = 0;
    std::uint8_t *seen = nullptr;           // per key: 0 absent, 1 once, 2 twice or more
    QByteArrayView *values = nullptr;       // per key seen: the value's text (a string with its quotes)
    /// Optional, per key seen: the value as a double when it is a plain decimal of at most 15 significant digits
    /// without exponent ("-21.53", "1200"), converted while the walk reads its digits (bit for bit
    /// std::from_chars' double); NaN for anything else (strings, literals, exponents, longer numbers), which the
    /// caller converts from `values`.
    double *numbers = nullptr;
    bool escapedKey = false;                // a top-level key has an escape ("\u0074emp"): the answers are unsure
    bool object = false;                    // the document is an object (else nothing is set: arrays, scalars)
};

/// Validates payloads against RFC 8259 JSON with the extra rules PostgreSQL's jsonb enforces (valid UTF-8, no
/// \u0000, paired surrogates, numbers within numeric's range), without building a document: it runs per message on
/// the writer thread, so it allocates nothing. Hand-written because Qt's parser allocates a tree per message and
/// accepts what jsonb refuses.
class PayloadCheck final
{
public:
    explicit PayloadCheck(std::size_t maxBytes = 1024 * 1024, int maxDepth = 64);

    PayloadCheckResult check(QByteArrayView payload) const;
    /// The same verdict, and `members` filled from the same walk (only meaningful when the verdict is Ok).
    PayloadCheckResult check(QByteArrayView payload, PayloadMembers &members) const { return run(payload, &members); }
    static const char *verdictName(PayloadVerdict v);

private:
    PayloadCheckResult run(QByteArrayView payload, PayloadMembers *members) const;

    std::size_t m_maxBytes;
    int m_maxDepth;
};

} // namespace iot
