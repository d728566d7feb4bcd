// SPDX-License-Identifier: MIT
// iot-bench-pub: the benchmark's load generator. The same messages as iot-simulate (topics and JSON payloads from
// iot_sim's SensorPayload: seq numbers, device time "ts" in epoch ms, 100 sensors), but written to the broker as MQTT
// 3.1.1 PUBLISH packets packed into large socket writes from one thread. iot-simulate drives libmosquitto's network
// thread with a hand-over per message and tops out well below what mosquitto can deliver on this machine; a load
// generator slower than the broker would measure itself, not the broker or the subscriber.

#include "sensorpayload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

struct Options
{
    std::string host = "127.0.0.1";
    int port = 1883;
    int qos = 0;
    int sensors = 100;
    int rooms = 4;
    int payloadSize = 0;
    std::uint64_t count = 0;
    std::uint64_t seqStart = 1;
    double rate = 0;          // msgs/s; 0: as fast as the broker takes them
    int maxInflight = 1000;   // QoS 1: PUBLISHes awaiting their PUBACK
};

std::int64_t nowUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void putVarint(std::string &b, std::size_t n)
{
    do {
        auto byte = static_cast<unsigned char>(n % 128);
        n /= 128;
        if (n)
            byte |= 0x80;
        b.push_back(static_cast<char>(byte));
    } while (n);
}

void putString(std::string &b, std::string_view s)
{
    b.push_back(static_cast<char>(s.size() >> 8));
    b.push_back(static_cast<char>(s.size() & 0xff));
    b.append(s);
}

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "iot-bench-pub: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void sendAll(int fd, const std::string &b)
{
    std::size_t off = 0;
    while (off < b.size()) {
        const ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("send");
        }
        off += std::size_t(n);
    }
}

// Reads whatever the broker sent and counts PUBACKs; blocks for up to `timeoutMs` when nothing is there yet.
std::uint64_t readAcks(int fd, std::string &in, int timeoutMs)
{
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0)
        return 0;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
        std::fprintf(stderr, "iot-bench-pub: the broker closed the connection\n");
        std::exit(1);
    }
    if (n < 0)
        return 0;
    in.append(buf, std::size_t(n));
    std::uint64_t acks = 0;
    std::size_t pos = 0;
    for (;;) {
        // Fixed header: type byte, then a varint remaining length.
        std::size_t len = 0, mul = 1, i = pos + 1;
        bool complete = false;
        while (i < in.size()) {
            const auto c = static_cast<unsigned char>(in[i++]);
            len += (c & 0x7f) * mul;
            mul *= 128;
            if (!(c & 0x80)) {
                complete = true;
                break;
            }
        }
        if (!complete || i + len > in.size())
            break;
        if ((static_cast<unsigned char>(in[pos]) >> 4) == 4)
            ++acks;
        pos = i + len;
    }
    in.erase(0, pos);
    return acks;
}

[[noreturn]] void usage(int rc)
{
    std::fprintf(rc ? stderr : stdout,
                 "usage: iot-bench-pub --count N [--host H] [--port P] [--qos 0|1] [--sensors N] [--rooms N]\n"
                 "                     [--payload-size BYTES] [--seq-start S] [--rate MSGS_PER_S] [--max-inflight N]\n"
                 "Publishes iot-simulate's messages (same topics and payloads) as fast as the broker accepts them, or\n"
                 "at --rate; prints: published=N delivered=N seconds=S rate=R msgs/s\n");
    std::exit(rc);
}

Options parse(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help")
            usage(0);
        if (a == "--quiet")
            continue;
        if (i + 1 >= argc)
            usage(2);
        const char *v = argv[++i];
        if (a == "--host") o.host = v;
        else if (a == "--port") o.port = std::atoi(v);
        else if (a == "--qos") o.qos = std::atoi(v);
        else if (a == "--sensors") o.sensors = std::atoi(v);
        else if (a == "--rooms") o.rooms = std::atoi(v);
        else if (a == "--payload-size") o.payloadSize = std::atoi(v);
        else if (a == "--count") o.count = std::strtoull(v, nullptr, 10);
        else if (a == "--seq-start") o.seqStart = std::strtoull(v, nullptr, 10);
        else if (a == "--rate") o.rate = std::atof(v);
        else if (a == "--max-inflight") o.maxInflight = std::atoi(v);
        else if (a == "--drain-timeout") continue;  // accepted for iot-simulate compatibility
        else usage(2);
    }
    if (o.count == 0 || o.qos < 0 || o.qos > 1 || o.maxInflight < 1 || o.maxInflight > 60000)
        usage(2);
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    const Options opt = parse(argc, argv);
    iot::PayloadOptions po;
    po.sensors = opt.sensors;
    po.rooms = opt.rooms;
    po.payloadSize = opt.payloadSize;
    iot::SensorPayload payload(po);

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(opt.port));
    if (fd < 0 || ::inet_pton(AF_INET, opt.host.c_str(), &addr.sin_addr) != 1)
        fail("socket");
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        fail("connect");
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    // CONNECT, MQTT 3.1.1, clean session, keep-alive off (the run is short and we never go quiet).
    const std::string clientId = "iot-bench-pub-" + std::to_string(::getpid());
    std::string body;
    putString(body, "MQTT");
    body.push_back(4);
    body.push_back(0x02);
    body.push_back(0);
    body.push_back(0);
    putString(body, clientId);
    std::string out;
    out.push_back(0x10);
    putVarint(out, body.size());
    out += body;
    sendAll(fd, out);
    char connack[4];
    if (::recv(fd, connack, 4, MSG_WAITALL) != 4 || connack[0] != 0x20 || connack[3] != 0) {
        std::fprintf(stderr, "iot-bench-pub: connection refused\n");
        return 1;
    }

    constexpr std::size_t FlushBytes = 32 * 1024;
    const std::uint64_t sensors = std::uint64_t(payload.options().sensors);
    std::string in;
    std::uint64_t acked = 0, inflight = 0;
    std::uint16_t mid = 0;
    out.clear();
    out.reserve(FlushBytes + 4096);
    const std::int64_t start = nowUs();
    std::uint64_t k = 0;
    while (k < opt.count) {
        // How many may go out now: all (unpaced), or what the schedule has made due.
        std::uint64_t due = opt.count;
        if (opt.rate > 0) {
            due = std::min<std::uint64_t>(opt.count, std::uint64_t(double(nowUs() - start) * opt.rate / 1e6) + 1);
            if (due <= k) {
                std::this_thread::sleep_for(std::chrono::microseconds(500));
                if (opt.qos) {
                    acked += readAcks(fd, in, 0);
                    inflight = k - acked;
                }
                continue;
            }
        }
        while (k < due && out.size() < FlushBytes && (opt.qos == 0 || inflight < std::uint64_t(opt.maxInflight))) {
            const std::uint64_t seq = opt.seqStart + k;
            payload.build(seq, int(k % sensors), nowUs() / 1000);
            const std::string_view topic(payload.topic().constData(), std::size_t(payload.topic().size()));
            const std::string_view body(payload.payload().constData(), std::size_t(payload.payload().size()));
            out.push_back(static_cast<char>(0x30 | (opt.qos << 1)));
            putVarint(out, 2 + topic.size() + (opt.qos ? 2 : 0) + body.size());
            putString(out, topic);
            if (opt.qos) {
                if (++mid == 0)
                    mid = 1;
                out.push_back(static_cast<char>(mid >> 8));
                out.push_back(static_cast<char>(mid & 0xff));
                ++inflight;
            }
            out += body;
            ++k;
        }
        sendAll(fd, out);
        out.clear();
        if (opt.qos) {
            // Collect PUBACKs; wait for some only when the window is full.
            const bool full = inflight >= std::uint64_t(opt.maxInflight);
            acked += readAcks(fd, in, full ? 1000 : 0);
            inflight = k - acked;
        }
    }
    while (opt.qos && acked < k) {
        const std::uint64_t got = readAcks(fd, in, 10000);
        if (got == 0)
            break;
        acked += got;
    }
    const double seconds = double(nowUs() - start) / 1e6;
    const std::uint64_t delivered = opt.qos ? acked : k;
    out.assign("\xe0\x00", 2);  // DISCONNECT
    sendAll(fd, out);
    ::close(fd);
    std::printf("published=%llu delivered=%llu seconds=%.3f rate=%.0f msgs/s\n", static_cast<unsigned long long>(k),
                static_cast<unsigned long long>(delivered), seconds, seconds > 0 ? double(delivered) / seconds : 0.0);
    return delivered == opt.count ? 0 : 1;
}
