// SPDX-License-Identifier: MIT
#include "mqtt/orderlyclose.h"

#include <QDeadlineTimer>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace iot {

OrderlyClose::~OrderlyClose()
{
    finish(0);
}

void OrderlyClose::hold(int fd)
{
    finish(0);
    m_fd = fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

bool OrderlyClose::finish(int timeoutMs)
{
    if (m_fd < 0)
        return false;
    m_discarded = 0;
    bool peerClosed = false;
    ::shutdown(m_fd, SHUT_WR);  // pushes out whatever Nagle still holds, then our FIN
    const QDeadlineTimer deadline(timeoutMs);
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            m_discarded += n;
            continue;
        }
        if (n == 0) {
            peerClosed = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || deadline.hasExpired())
            break;
        pollfd p{m_fd, POLLIN, 0};
        ::poll(&p, 1, int(qMax<qint64>(1, deadline.remainingTime())));
    }
    ::close(m_fd);
    m_fd = -1;
    return peerClosed;
}

} // namespace iot
