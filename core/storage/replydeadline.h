// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace iot {

/// Cuts a database connection whose server stops answering: the writer arms a deadline around each round trip, and
/// if it passes, a thread of this object's own shuts the socket down, so the libpq call blocked on it returns at once
/// with a connection error. interrupt() does the same at once, from any thread (the engine's shutdown deadline).
/// Armed and disarmed on the writer thread; its own thread only waits.
class ReplyDeadline final
{
public:
    ReplyDeadline();
    ~ReplyDeadline();
    Q_DISABLE_COPY_MOVE(ReplyDeadline)

    /// The connection's socket once connected; -1 before it is closed (the number may be reused after close).
    void setSocket(int fd);
    /// Starts the deadline of one round trip (replacing the last one); clears expired().
    void arm(std::chrono::milliseconds timeout);
    void disarm();
    /// Whether the round trip armed last was cut: its deadline passed, or interrupt() was called.
    bool expired() const;
    /// Cuts the connection now and every one armed or connected later; any thread.
    void interrupt();

private:
    void run();
    void cutLocked();

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    int m_fd = -1;
    std::optional<std::chrono::steady_clock::time_point> m_deadline;
    bool m_expired = false;
    bool m_interrupted = false;
    bool m_quit = false;
    std::thread m_thread;  // last: starts once the members it reads exist
};

} // namespace iot
