// SPDX-License-Identifier: MIT
#include "observability/httprequestparser.h"

namespace iot {
namespace {

using Outcome = HttpRequestParser::Outcome;

bool isTokenChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (const char c : s)
        if (!isTokenChar(c))
            return false;
    return true;
}

bool isVisible(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
}

/// A byte that may appear in a field value: visible ASCII, space, tab and obs-text; never a control character,
/// so a bare CR or LF inside a line is refused rather than read as a line break (request smuggling).
bool isFieldChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u == ' ' || u == '\t' || (u > 0x20 && u != 0x7f);
}

/// Could this partial line still become valid? Lets binary input (a TLS ClientHello) fail at its first byte.
bool plausiblePrefix(QByteArrayView partial, bool requestLine)
{
    if (partial.endsWith('\r'))
        partial.chop(1);
    for (const char c : partial)
        if (requestLine ? !(c == ' ' || isVisible(c)) : !isFieldChar(c))
            return false;
    return true;
}

bool parseRequestLine(QByteArrayView line, HttpRequestParser::Request &r)
{
    // method SP request-target SP HTTP-version, single spaces (RFC 9112 §3)
    const qsizetype sp1 = line.indexOf(' ');
    if (sp1 <= 0)
        return false;
    const qsizetype sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0)
        return false;
    const QByteArrayView method = line.first(sp1);
    const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = line.sliced(sp2 + 1);
    if (!isToken(method) || !target.startsWith('/'))
        return false;
    for (const char c : target)
        if (!isVisible(c))
            return false;
    if (version == QByteArrayView("HTTP/1.1"))
        r.minorVersion = 1;
    else if (version == QByteArrayView("HTTP/1.0"))
        r.minorVersion = 0;
    else
        return false;
    r.method = method.toByteArray();
    r.target = target.toByteArray();
    const qsizetype query = target.indexOf('?');
    r.path = (query < 0 ? target : target.first(query)).toByteArray();
    return true;
}

QByteArrayView trimmed(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s.chop(1);
    return s;
}

/// field-name ":" OWS field-value OWS; false for anything else, obs-fold included.
bool parseField(QByteArrayView line, HttpRequestParser::Request &r, bool &sawAuthorization)
{
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)))
        return false;
    const QByteArrayView value = trimmed(line.sliced(colon + 1));
    for (const char c : value)
        if (!isFieldChar(c))
            return false;
    if (line.first(colon).compare(QByteArrayView("authorization"), Qt::CaseInsensitive) == 0) {
        // Two credentials in one request: which one would a proxy in front have checked?
        if (sawAuthorization)
            return false;
        sawAuthorization = true;
        r.authorization = value.toByteArray();
    }
    return true;
}

} // namespace

HttpRequestParser::Result HttpRequestParser::parse(QByteArrayView data, qsizetype maxHeadBytes)
{
    Result result;
    Request &r = result.request;
    // Only the first maxHeadBytes can hold the head; the blank line's CRLF must end inside them.
    const QByteArrayView window = data.first(std::min(data.size(), maxHeadBytes));
    bool sawAuthorization = false;
    int fields = 0;
    qsizetype pos = 0;
    for (int line = 0;; ++line) {
        const qsizetype eol = window.indexOf(QByteArrayView("\r\n"), pos);
        if (eol < 0) {
            if (!plausiblePrefix(window.sliced(pos), line == 0))
                result.outcome = Outcome::Malformed;
            else if (data.size() > maxHeadBytes)
                result.outcome = Outcome::TooLarge;
            return result;
        }
        const QByteArrayView text = window.sliced(pos, eol - pos);
        pos = eol + 2;
        if (line == 0) {
            if (!parseRequestLine(text, r)) {
                result.outcome = Outcome::Malformed;
                return result;
            }
            continue;
        }
        if (text.isEmpty()) {
            r.headBytes = pos;
            result.outcome = Outcome::Complete;
            return result;
        }
        if (++fields > MaxFields) {
            result.outcome = Outcome::TooLarge;
            return result;
        }
        if (!parseField(text, r, sawAuthorization)) {
            result.outcome = Outcome::Malformed;
            return result;
        }
    }
}

} // namespace iot
