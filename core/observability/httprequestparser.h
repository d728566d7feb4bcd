// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace iot {

/// Parses the head of one HTTP/1.x request (request line and header fields) as its bytes arrive, for HttpEndpoint.
/// Pure and stateless, no sockets: what a fuzzer and the unit tests call directly. Any thread.
class HttpRequestParser final
{
public:
    enum class Outcome {
        Incomplete,  // no blank line yet and nothing wrong so far: wait for more bytes
        Complete,    // a well-formed head (the request is in `request`)
        Malformed,   // 400: not HTTP/1.x or a field that breaks the grammar (RFC 9112)
        TooLarge,    // 431: the head passes maxHeadBytes or has too many fields
    };

    struct Request
    {
        QByteArray method;        // "GET" (any token; the endpoint decides what it serves)
        QByteArray target;        // origin-form, as sent: "/metrics?x=1"
        QByteArray path;          // the target up to '?'
        int minorVersion = 1;     // HTTP/1.<minorVersion>, 0 or 1
        QByteArray authorization; // the Authorization field's value (OWS trimmed); empty when absent
        qsizetype headBytes = 0;  // the head's length including the blank line
    };

    struct Result
    {
        Outcome outcome = Outcome::Incomplete;
        Request request;          // filled when Complete
    };

    static constexpr qsizetype DefaultMaxHeadBytes = 8192;
    static constexpr int MaxFields = 64;

    /// Judges what arrived so far. A request line or field that is already wrong is Malformed at once, so a TLS
    /// handshake or garbage on the plain port is refused without waiting for a blank line that never comes.
    static Result parse(QByteArrayView data, qsizetype maxHeadBytes = DefaultMaxHeadBytes);
};

} // namespace iot
