// SPDX-License-Identifier: MIT
#include "storage/replydeadline.h"

#include <sys/socket.h>

namespace iot {

ReplyDeadline::ReplyDeadline() : m_thread([this] { run(); }) {}

ReplyDeadline::~ReplyDeadline()
{
    {
        const std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void ReplyDeadline::setSocket(int fd)
{
    const std::lock_guard lock(m_mutex);
    m_fd = fd;
    if (m_interrupted)
        cutLocked();
}

void ReplyDeadline::arm(std::chrono::milliseconds timeout)
{
    {
        const std::lock_guard lock(m_mutex);
        m_expired = m_interrupted;
        m_deadline = std::chrono::steady_clock::now() + timeout;
        if (m_interrupted)
            cutLocked();
    }
    m_wake.notify_one();
}

void ReplyDeadline::disarm()
{
    const std::lock_guard lock(m_mutex);
    m_deadline.reset();
}

bool ReplyDeadline::expired() const
{
    const std::lock_guard lock(m_mutex);
    return m_expired;
}

void ReplyDeadline::interrupt()
{
    const std::lock_guard lock(m_mutex);
    m_interrupted = true;
    m_expired = true;
    cutLocked();
}

void ReplyDeadline::cutLocked()
{
    // shutdown(), not close(): the descriptor stays libpq's (no reuse race), but every wait on it ends, a read with
    // end-of-file and a write with EPIPE; libpq then reports the connection lost and the writer reconnects. A
    // userspace proxy's kernel keeps ACKing a server that hangs behind it, so TCP options alone never get here.
    if (m_fd >= 0)
        ::shutdown(m_fd, SHUT_RDWR);
}

void ReplyDeadline::run()
{
    std::unique_lock lock(m_mutex);
    while (!m_quit) {
        if (!m_deadline) {
            m_wake.wait(lock);
            continue;
        }
        const auto until = *m_deadline;
        m_wake.wait_until(lock, until);
        // Re-armed or disarmed meanwhile: the new deadline (or none) counts, not the one waited for.
        if (m_deadline && *m_deadline == until && std::chrono::steady_clock::now() >= until) {
            m_deadline.reset();
            m_expired = true;
            cutLocked();
        }
    }
}

} // namespace iot
