// SPDX-License-Identifier: MIT
#include "observability/bearertoken.h"

#include <QFile>

namespace iot {

Result<BearerToken> BearerToken::fromFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("cannot read the token file %1: %2").arg(path, file.errorString())};
    // A token is short; a huge file is a wrong path, not a token.
    const QByteArray data = file.read(4096 + 1);
    if (data.size() > 4096)
        return Error{QStringLiteral("the token file %1 is larger than 4096 bytes").arg(path)};
    return fromValue(data, QStringLiteral("the token file ") + path);
}

Result<BearerToken> BearerToken::fromValue(const QByteArray &value, const QString &origin)
{
    const QByteArray token = value.trimmed();
    if (token.isEmpty())
        return Error{origin + QStringLiteral(" is empty")};
    // token68-like: visible ASCII only, so the value survives an HTTP header unchanged.
    for (const char c : token) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return Error{origin + QStringLiteral(" holds a space, a control or a non-ASCII character")};
    }
    return BearerToken(token);
}

bool BearerToken::accepts(QByteArrayView authorization) const
{
    if (m_secret.isEmpty())
        return false;
    constexpr QByteArrayView Scheme("Bearer");
    if (authorization.size() <= Scheme.size()
        || authorization.first(Scheme.size()).compare(Scheme, Qt::CaseInsensitive) != 0
        || authorization[Scheme.size()] != ' ')
        return false;
    QByteArrayView given = authorization.sliced(Scheme.size());
    while (!given.isEmpty() && given.front() == ' ')
        given = given.sliced(1);
    return constantTimeEquals(m_secret, given);
}

bool BearerToken::constantTimeEquals(QByteArrayView expected, QByteArrayView given)
{
    // Every byte of `expected` is visited whatever `given` holds; lengths are folded into the same accumulator.
    // volatile keeps the compiler from turning the fold back into an early exit.
    volatile unsigned char diff = expected.size() == given.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(expected[i]) ^ g));
    }
    return diff == 0;
}

} // namespace iot
