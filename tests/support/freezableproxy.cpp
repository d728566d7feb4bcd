// SPDX-License-Identifier: MIT
#include "freezableproxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace iot::test {
namespace {

// Per direction: beyond this, the proxy stops reading that side and the sender's kernel buffers fill, as TCP does.
constexpr std::size_t MaxHeld = 256 * 1024;

int connectUpstream(const QString &host, int port)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    if (::getaddrinfo(host.toUtf8().constData(), std::to_string(port).c_str(), &hints, &found) != 0)
        return -1;
    int fd = -1;
    for (addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd >= 0)
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/// One client connection and its connection to the server; `held[i]` waits to be written to fd[i].
struct Pair
{
    int fd[2] = {-1, -1};  // 0: the client, 1: the server
    std::string held[2];
    bool closed = false;

    void close()
    {
        for (int side = 0; side < 2; ++side) {
            if (!held[side].empty())  // best effort: what the other side sent before it closed
                (void)::send(fd[side], held[side].data(), held[side].size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd[side]);
        }
        closed = true;
    }
    /// Reads what side `from` sent into the other side's queue; false at end of file or on an error.
    bool pull(int from)
    {
        char buf[65536];
        const ssize_t n = ::recv(fd[from], buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            held[1 - from].append(buf, std::size_t(n));
        return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
    }
    bool push(int to)
    {
        const ssize_t n = ::send(fd[to], held[to].data(), held[to].size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            held[to].erase(0, std::size_t(n));
        return n >= 0 || errno == EAGAIN || errno == EINTR;
    }
};

} // namespace

FreezableProxy::FreezableProxy(const QString &upstreamHost, int upstreamPort)
    : m_host(upstreamHost), m_upstreamPort(upstreamPort)
{
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || ::listen(m_listen, 64) != 0
        || ::getsockname(m_listen, reinterpret_cast<sockaddr *>(&a), &len) != 0 || ::pipe2(m_wake, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { run(); });
}

FreezableProxy::~FreezableProxy()
{
    m_quit = true;
    wake();
    if (m_thread.joinable())
        m_thread.join();
    for (const int fd : {m_listen, m_wake[0], m_wake[1]})
        if (fd >= 0)
            ::close(fd);
}

void FreezableProxy::freeze()
{
    m_frozen = true;
    wake();
}

void FreezableProxy::thaw()
{
    m_frozen = false;
    wake();
}

void FreezableProxy::wake()
{
    if (m_wake[1] >= 0)
        (void)::write(m_wake[1], "w", 1);
}

void FreezableProxy::run()
{
    std::vector<Pair> pairs;
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, int>> owner;  // fds[i + 2] belongs to pairs[first], side second
    while (!m_quit) {
        const bool frozen = m_frozen;
        fds.assign({{m_wake[0], POLLIN, 0}, {m_listen, short(frozen ? 0 : POLLIN), 0}});
        owner.clear();
        // Frozen: nothing is read or written, so the peers' kernel buffers fill and every byte waits.
        for (std::size_t i = 0; i < pairs.size() && !frozen; ++i) {
            for (int side = 0; side < 2; ++side) {
                short ev = pairs[i].held[1 - side].size() < MaxHeld ? POLLIN : 0;
                ev |= pairs[i].held[side].empty() ? 0 : POLLOUT;
                fds.push_back({pairs[i].fd[side], ev, 0});
                owner.emplace_back(i, side);
            }
        }
        if (::poll(fds.data(), fds.size(), -1) < 0)
            continue;
        char drain[64];
        while (::read(m_wake[0], drain, sizeof drain) > 0) {
        }
        if (m_frozen)
            continue;
        for (std::size_t k = 2; k < fds.size(); ++k) {
            Pair &p = pairs[owner[k - 2].first];
            const int side = owner[k - 2].second;
            if (p.closed || fds[k].revents == 0)
                continue;
            bool ok = true;
            if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
                ok = p.pull(side);
            if (ok && (fds[k].revents & POLLOUT))
                ok = p.push(side);
            if (!ok)
                p.close();
        }
        std::erase_if(pairs, [](const Pair &p) { return p.closed; });
        if (fds[1].revents & POLLIN) {
            for (int fd; (fd = ::accept4(m_listen, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
                Pair p;
                p.fd[0] = fd;
                p.fd[1] = connectUpstream(m_host, m_upstreamPort);
                if (p.fd[1] < 0) {
                    ::close(fd);
                    continue;
                }
                ++m_accepted;
                pairs.push_back(std::move(p));
            }
        }
    }
    for (Pair &p : pairs)
        p.close();
}

} // namespace iot::test
