// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace iot {

/// The secret that unlocks the observability port, and the check of an `Authorization: Bearer` value against it
/// in constant time. Read once at start; immutable afterwards, so any thread.
class BearerToken final
{
public:
    BearerToken() = default;
    explicit BearerToken(QByteArray secret) : m_secret(std::move(secret)) {}

    /// The token in `path` (surrounding whitespace and the final newline trimmed, as Prometheus' credentials_file
    /// does). Fails when the file cannot be read, is empty, or holds whitespace or control characters inside.
    static Result<BearerToken> fromFile(const QString &path);
    /// The same rules for a value from the environment; `origin` names it in the error.
    static Result<BearerToken> fromValue(const QByteArray &value, const QString &origin);

    bool isEmpty() const { return m_secret.isEmpty(); }
    /// Does the Authorization field value `authorization` ("Bearer <token>", scheme case-insensitive) carry this
    /// token? False when this token is empty.
    bool accepts(QByteArrayView authorization) const;

    /// Compares in time that depends on `expected`'s length only, never on where the first difference lies:
    /// a hand-written XOR fold (iot_core does not link OpenSSL's libcrypto, so CRYPTO_memcmp is not at hand).
    static bool constantTimeEquals(QByteArrayView expected, QByteArrayView given);

private:
    QByteArray m_secret;
};

} // namespace iot
