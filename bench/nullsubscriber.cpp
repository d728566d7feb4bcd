// SPDX-License-Identifier: MIT
// iot-bench-null: a do-nothing libmosquitto subscriber, the yardstick of the benchmark. It reads as fast as the broker
// delivers, looks only at the "seq" and "ts" fields of each payload (to count missing and duplicated messages and to
// know when the first one was published), and stores nothing. Its rate is the broker's delivery limit for a
// libmosquitto client on this machine; bench/run.sh states iot-subscriber's rate as a fraction of it.
//
// Same socket handling as core/mqtt/mqttclient.cpp (poll, mosquitto_loop_read until the socket is drained, no library
// thread), so that the two differ only in what they do with a message.

#include <mosquitto.h>

#include <poll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options
{
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string topic = "sensors/#";
    std::string clientId;
    int qos = 0;
    std::uint64_t count = 0;     // stop once this many distinct seq numbers arrived
    std::uint64_t seqStart = 1;
    double idleSec = 10;         // stop when nothing arrived for this long (after the first message)
    double waitSec = 600;        // stop when nothing at all arrived for this long
    std::string readyFile;       // created once the subscription is acknowledged
};

struct State
{
    Options opt;
    std::vector<std::uint8_t> seen;  // per seq - seqStart: how often it arrived (saturating)
    std::uint64_t received = 0;
    std::uint64_t distinct = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t unexpected = 0;
    std::uint64_t delivered = 0;     // bumped by the message callback; tells the read loop a packet was a PUBLISH
    std::int64_t firstPublishMs = 0; // smallest "ts" seen: when the first message was published
    std::int64_t firstReceiveUs = 0;
    std::int64_t lastReceiveUs = 0;
    bool subscribed = false;
    bool failed = false;
};

std::int64_t nowUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The integer after `"key":` in a flat JSON payload, or -1.
std::int64_t field(std::string_view payload, std::string_view key)
{
    const std::size_t at = payload.find(key);
    if (at == std::string_view::npos)
        return -1;
    std::int64_t v = -1;
    const char *p = payload.data() + at + key.size();
    std::from_chars(p, payload.data() + payload.size(), v);
    return v;
}

void onMessage(mosquitto *, void *obj, const mosquitto_message *m)
{
    auto *s = static_cast<State *>(obj);
    const std::int64_t now = nowUs();
    ++s->delivered;
    ++s->received;
    if (s->firstReceiveUs == 0)
        s->firstReceiveUs = now;
    s->lastReceiveUs = now;
    const std::string_view payload(static_cast<const char *>(m->payload), std::size_t(m->payloadlen));
    const std::int64_t ts = field(payload, "\"ts\":");
    if (ts > 0 && (s->firstPublishMs == 0 || ts < s->firstPublishMs))
        s->firstPublishMs = ts;
    const std::int64_t seq = field(payload, "\"seq\":");
    if (seq < std::int64_t(s->opt.seqStart) || std::uint64_t(seq) - s->opt.seqStart >= s->seen.size()) {
        ++s->unexpected;
        return;
    }
    std::uint8_t &c = s->seen[std::uint64_t(seq) - s->opt.seqStart];
    if (c == 0)
        ++s->distinct;
    else
        ++s->duplicated;
    if (c < 255)
        ++c;
}

void onConnect(mosquitto *mosq, void *obj, int rc)
{
    auto *s = static_cast<State *>(obj);
    if (rc != 0) {
        std::fprintf(stderr, "iot-bench-null: connection refused: %s\n", mosquitto_connack_string(rc));
        s->failed = true;
        return;
    }
    mosquitto_subscribe(mosq, nullptr, s->opt.topic.c_str(), s->opt.qos);
}

void onSubscribe(mosquitto *, void *obj, int, int, const int *granted)
{
    auto *s = static_cast<State *>(obj);
    if (granted[0] >= 0x80) {
        std::fprintf(stderr, "iot-bench-null: subscription refused\n");
        s->failed = true;
        return;
    }
    s->subscribed = true;
    std::fprintf(stderr, "iot-bench-null: subscribed to %s (QoS %d)\n", s->opt.topic.c_str(), granted[0]);
    if (!s->opt.readyFile.empty()) {
        if (std::FILE *f = std::fopen(s->opt.readyFile.c_str(), "w"))
            std::fclose(f);
    }
}

[[noreturn]] void usage(int rc)
{
    std::fprintf(rc ? stderr : stdout,
                 "usage: iot-bench-null --count N [--host H] [--port P] [--topic F] [--qos Q] [--seq-start S]\n"
                 "                      [--idle-timeout SEC] [--wait-timeout SEC] [--client-id ID] [--ready-file PATH]\n"
                 "Subscribes, counts messages by their \"seq\" field and exits when N distinct ones arrived, or\n"
                 "--idle-timeout seconds after the last message. Prints one line:\n"
                 "  received=N distinct=N missing=N duplicated=N unexpected=N seconds=S rate=R first_publish_ms=T\n"
                 "  last_receive_us=T cpu_s=C maxrss_kb=K\n"
                 "seconds: from the first message's publish time (its \"ts\") to the last receive; rate = distinct / seconds.\n");
    std::exit(rc);
}

Options parse(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help")
            usage(0);
        if (i + 1 >= argc)
            usage(2);
        const char *v = argv[++i];
        if (a == "--host") o.host = v;
        else if (a == "--port") o.port = std::atoi(v);
        else if (a == "--topic") o.topic = v;
        else if (a == "--client-id") o.clientId = v;
        else if (a == "--qos") o.qos = std::atoi(v);
        else if (a == "--count") o.count = std::strtoull(v, nullptr, 10);
        else if (a == "--seq-start") o.seqStart = std::strtoull(v, nullptr, 10);
        else if (a == "--idle-timeout") o.idleSec = std::atof(v);
        else if (a == "--wait-timeout") o.waitSec = std::atof(v);
        else if (a == "--ready-file") o.readyFile = v;
        else usage(2);
    }
    if (o.count == 0 || o.qos < 0 || o.qos > 2)
        usage(2);
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    State s;
    s.opt = parse(argc, argv);
    s.seen.assign(s.opt.count, 0);
    if (s.opt.clientId.empty())
        s.opt.clientId = "iot-bench-null-" + std::to_string(::getpid());

    mosquitto_lib_init();
    mosquitto *mosq = mosquitto_new(s.opt.clientId.c_str(), true, &s);
    if (!mosq)
        return 1;
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(mosq, onConnect);
    mosquitto_subscribe_callback_set(mosq, onSubscribe);
    mosquitto_message_callback_set(mosq, onMessage);
    if (mosquitto_connect(mosq, s.opt.host.c_str(), s.opt.port, 60) != MOSQ_ERR_SUCCESS) {
        std::fprintf(stderr, "iot-bench-null: cannot connect to %s:%d\n", s.opt.host.c_str(), s.opt.port);
        return 1;
    }
    const std::int64_t startUs = nowUs();
    std::int64_t lastMiscUs = startUs;
    while (!s.failed && (s.distinct < s.opt.count)) {
        const std::int64_t now = nowUs();
        if (s.lastReceiveUs ? now - s.lastReceiveUs > std::int64_t(s.opt.idleSec * 1e6)
                            : now - startUs > std::int64_t(s.opt.waitSec * 1e6))
            break;
        if (now - lastMiscUs > 1000000) {
            mosquitto_loop_misc(mosq);
            lastMiscUs = now;
        }
        pollfd p{mosquitto_socket(mosq), short(POLLIN | (mosquitto_want_write(mosq) ? POLLOUT : 0)), 0};
        if (p.fd < 0 || ::poll(&p, 1, 200) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            // Read packet after packet until one delivers no message (drained, or a control packet): an errno
            // check alone is fooled by libmosquitto's own EAGAIN on its wake-up socket pair.
            for (int i = 0; i < 4096; ++i) {
                const std::uint64_t before = s.delivered;
                if (mosquitto_loop_read(mosq, 1) != MOSQ_ERR_SUCCESS) {
                    s.failed = s.distinct < s.opt.count;
                    break;
                }
                if (s.delivered == before)
                    break;
            }
        }
        if (mosquitto_want_write(mosq))
            mosquitto_loop_write(mosq, 1);
    }
    mosquitto_disconnect(mosq);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();

    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    const double seconds = s.firstPublishMs && s.lastReceiveUs
        ? double(s.lastReceiveUs - s.firstPublishMs * 1000) / 1e6 : 0.0;
    std::printf("received=%llu distinct=%llu missing=%llu duplicated=%llu unexpected=%llu seconds=%.3f rate=%.0f "
                "first_publish_ms=%lld last_receive_us=%lld cpu_s=%.2f maxrss_kb=%ld\n",
                static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.distinct),
                static_cast<unsigned long long>(s.opt.count - s.distinct),
                static_cast<unsigned long long>(s.duplicated), static_cast<unsigned long long>(s.unexpected), seconds,
                seconds > 0 ? double(s.distinct) / seconds : 0.0, static_cast<long long>(s.firstPublishMs),
                static_cast<long long>(s.lastReceiveUs), cpu, ru.ru_maxrss);
    return s.distinct == s.opt.count ? 0 : 1;
}
