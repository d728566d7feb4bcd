// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

#include <vector>

namespace iot {

/// An RFC 6901 JSON pointer ("/meta/unit", "/values/0", "/a~1b"), resolved directly on the bytes of a payload that
/// PayloadCheck has already validated: no document is built and nothing is allocated, which is what lets the mapper
/// keep up with raw storage. Whatever it cannot decide exactly on raw bytes — a key written with escapes, a key that
/// appears twice in one object — it answers Unsure, and the caller takes the exact path (QJsonDocument) instead.
/// Hand-written because no packaged JSON library offers pointer lookup without building a DOM; kept small.
class JsonPointer final
{
public:
    explicit JsonPointer(QStringView pointer = {});

    enum class Result { Found, Missing, Unsure };
    /// On Found, `value` is the value's own text (a string with its quotes), without surrounding whitespace.
    Result resolve(QByteArrayView json, QByteArrayView &value) const;

    /// The text of the value starting at `p` (whitespace before it skipped): where it ends, or nullptr if the text
    /// is not one complete value.
    static const char *skipValue(const char *p, const char *end);
    static QByteArrayView trimmed(QByteArrayView json);

    /// Several one-level pointers ("/temperature", "/humidity") in ONE pass over a payload's top-level object:
    /// `keys` are the members' names as given (unescaped: "a/b" for "/a~1b"), `results[k]` and `values[k]` what
    /// resolve() answers for the pointer "/" + keys[k]. False (nothing set) for a top-level array, which resolve()
    /// walks by index. The alerts read their fields this way: one walk per message instead of one per field.
    static bool resolveMembers(QByteArrayView json, const QByteArrayView *keys, std::size_t n, Result *results,
                               QByteArrayView *values);
    /// The unescaped key of a one-level pointer ("/a~1b" → "a/b"); false for the root and deeper pointers.
    bool singleKey(QByteArray &key) const;

private:
    struct Token
    {
        QByteArray key;   // unescaped (~1 → /, ~0 → ~)
        int index = -1;   // the array index it spells, -1 if none ("01", "-1", "x" are not indexes)
    };
    std::vector<Token> m_tokens;
};

} // namespace iot
