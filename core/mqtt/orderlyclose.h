// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

namespace iot {

/// Ends a connection that libmosquitto closes with a FIN instead of a reset. Linux answers close() on a socket that
/// still has unread data with a reset and throws away what its send queue still holds — after a stop, the PUBACKs
/// of the last messages read (held back by Nagle while the broker's ACK is pending) — and the broker then redelivers
/// messages we have already stored. The broker keeps sending while we stop, so there is nearly always unread data.
/// Holding a duplicate of the descriptor keeps the socket open past libmosquitto's close(); finish() half-closes it,
/// reads and discards what the broker still sends until it closes its side (it does on our DISCONNECT, after the
/// PUBACKs before it), and only then closes. Messages discarded here were never acknowledged: the broker sends them
/// again to the next session.
class OrderlyClose final
{
public:
    OrderlyClose() = default;
    ~OrderlyClose();
    Q_DISABLE_COPY_MOVE(OrderlyClose)

    /// Keeps a duplicate of `fd` (a negative fd: nothing to keep). Call before the DISCONNECT is queued.
    void hold(int fd);
    bool holding() const { return m_fd >= 0; }
    /// Half-closes the held socket, discards what arrives until the peer's FIN, an error or `timeoutMs`, closes it.
    /// Returns whether the peer's FIN arrived (the orderly end); false when nothing was held.
    bool finish(int timeoutMs);
    /// Bytes the last finish() discarded.
    qint64 discarded() const { return m_discarded; }

private:
    int m_fd = -1;
    qint64 m_discarded = 0;
};

} // namespace iot
