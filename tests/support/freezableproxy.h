// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <atomic>
#include <thread>

namespace iot::test {

/// A TCP proxy on 127.0.0.1 in front of a server (the test PostgreSQL), run on a thread of its own so that the test
/// can block: freeze() stops forwarding in both directions but keeps every connection open and new ones queued — a
/// database host that stops answering without a reset, behind whose "kernel" (ours) every segment is still ACKed;
/// thaw() forwards again, the bytes held meanwhile first.
class FreezableProxy final
{
public:
    FreezableProxy(const QString &upstreamHost, int upstreamPort);
    ~FreezableProxy();
    Q_DISABLE_COPY_MOVE(FreezableProxy)

    /// The port it listens on, 0 when it could not listen.
    int port() const { return m_port; }
    void freeze();
    void thaw();
    /// Connections accepted so far.
    int accepted() const { return m_accepted; }

private:
    void run();
    void wake();

    QString m_host;
    int m_upstreamPort = 0;
    int m_listen = -1;
    int m_port = 0;
    int m_wake[2] = {-1, -1};
    std::atomic<bool> m_frozen{false};
    std::atomic<bool> m_quit{false};
    std::atomic<int> m_accepted{0};
    std::thread m_thread;
};

} // namespace iot::test
