// SPDX-License-Identifier: MIT
// iot-simulate: publishes simulated sensor readings to an MQTT broker for the demo, the tests and the benchmark.

#include "simulation.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <csignal>
#include <cstdio>
#include <limits>
#include <optional>

#ifndef IOT_VERSION
#define IOT_VERSION "dev"
#endif

namespace {

constexpr int kExitUndelivered = 1;
constexpr int kExitUsage = 2;
constexpr int kMaxPayloadSize = 64 * 1024 * 1024;
constexpr int kMaxSensors = 1000000;

std::atomic_bool g_stop{false};
static_assert(std::atomic_bool::is_always_lock_free, "the signal handler may only touch lock-free atomics");

// First SIGINT/SIGTERM: stop publishing and drain. A second one: the default action, for an impatient operator.
extern "C" void onStopSignal(int sig)
{
    if (g_stop.exchange(true)) {
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
}

void installStopHandlers()
{
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

struct Usage
{
    QString message;
};

// Option values are validated here so that a typo exits with 2 before anything touches the network.
class Options
{
public:
    explicit Options(const QCommandLineParser &parser) : m_parser(parser) {}

    template <typename Int>
    Int integer(const QString &name, Int min, Int max)
    {
        bool ok = false;
        const qulonglong unsignedValue = m_parser.value(name).toULongLong(&ok);
        if (!ok || unsignedValue < qulonglong(min) || unsignedValue > qulonglong(max))
            fail(QStringLiteral("--%1 must be a whole number from %2 to %3, not \"%4\"")
                     .arg(name).arg(min).arg(max).arg(m_parser.value(name)));
        return Int(unsignedValue);
    }
    double number(const QString &name, double max)
    {
        bool ok = false;
        const double v = m_parser.value(name).toDouble(&ok);
        if (!ok || !(v >= 0) || v > max)
            fail(QStringLiteral("--%1 must be a number from 0 to %2, not \"%3\"").arg(name).arg(max).arg(m_parser.value(name)));
        return v;
    }
    void fail(const QString &message)
    {
        if (!m_error)
            m_error = Usage{message};
    }
    const std::optional<Usage> &error() const { return m_error; }

private:
    const QCommandLineParser &m_parser;
    std::optional<Usage> m_error;
};

QCommandLineOption valueOption(const char *name, const char *help, const char *valueName, const char *defaultValue)
{
    QCommandLineOption option(QString::fromLatin1(name), QString::fromUtf8(help), QString::fromLatin1(valueName));
    if (defaultValue)
        option.setDefaultValue(QString::fromLatin1(defaultValue));
    return option;
}

int usageError(const QString &message)
{
    std::fprintf(stderr, "iot-simulate: %s\nTry 'iot-simulate --help'.\n", message.toLocal8Bit().constData());
    return kExitUsage;
}

// The help text and every option, with its default.
void describe(QCommandLineParser &parser)
{
    parser.setApplicationDescription(QStringLiteral(
        "Publishes simulated sensor readings to an MQTT broker.\n"
        "\n"
        "Message k (from 0) carries seq = seq-start + k and comes from sensor i = k % sensors, named\n"
        "s-<i+1> (s-001, s-002, ...) and placed in room lab-<i % rooms + 1>. It goes to the topic\n"
        "<topic-prefix>/<room>/<sensor>, e.g. sensors/lab-2/s-006, with a JSON payload such as\n"
        "{\"sensor\":\"s-006\",\"seq\":123,\"ts\":1764210065123,\"temperature\":21.53,\"humidity\":44.1}\n"
        "(ts: device time in epoch ms). seq numbers are unique within a run, so a checker can find\n"
        "missing or duplicated messages.\n"
        "\n"
        "At the end prints one line on stdout:\n"
        "  published=N delivered=N seconds=S rate=R msgs/s\n"
        "Delivered means written to the socket for QoS 0 and acknowledged by the broker for QoS 1/2.\n"
        "If the broker goes away the simulator reconnects by itself: QoS 0 messages in that gap are\n"
        "lost, QoS 1/2 messages are kept and resent (possibly twice).\n"
        "SIGINT/SIGTERM stops publishing and waits up to --drain-timeout for delivery; a second signal\n"
        "ends the process at once.\n"
        "\n"
        "Exit status: 0 all published messages were delivered, 1 some were not (or the broker was\n"
        "unreachable), 2 invalid arguments."));
    parser.addOptions({
        valueOption("host", "Broker host name or address (default 127.0.0.1).", "host", "127.0.0.1"),
        valueOption("port", "Broker TCP port (default 1883).", "port", "1883"),
        valueOption("qos", "QoS of every message: 0, 1 or 2 (default 0).", "qos", "0"),
        valueOption("protocol", "MQTT protocol version: 3.1.1 or 5 (default 3.1.1).", "version", "3.1.1"),
        valueOption("username", "User name for the broker (default: none).", "name", nullptr),
        valueOption("password", "Password for the broker; the environment variable IOT_MQTT_PASSWORD is used "
                                "when this option is absent (prefer it: options show up in ps).", "password", nullptr),
        valueOption("client-id", "MQTT client id (default: iot-simulate-<pid>-<random>, unique per run). At QoS 1/2 "
                                 "the session is persistent (clean session off) so that messages queued during a "
                                 "disconnect are resent; at QoS 0 it is clean.", "id", nullptr),
        valueOption("sensors", "Number of simulated sensors, published round-robin (default 10).", "n", "10"),
        valueOption("rooms", "Number of rooms the sensors are spread over, lab-1 .. lab-<n> "
                             "(default 4).", "n", "4"),
        valueOption("topic-prefix", "First topic level(s) (default sensors).", "prefix", "sensors"),
        valueOption("count", "Number of messages to publish; 0 publishes until stopped (default 0).", "n", "0"),
        valueOption("rate", "Messages per second over all sensors, paced to an exact average; 0 publishes as fast "
                            "as the broker accepts them (default 0).", "msgs/s", "0"),
        valueOption("seq-start", "seq of the first message (default 1). Give later runs a higher start to keep "
                                 "seq unique across runs.", "n", "1"),
        valueOption("payload-size", "Pad every valid payload to exactly this many bytes with a \"pad\" field; 0 "
                                    "keeps the natural size of about 90 bytes (default 0).", "bytes", "0"),
        valueOption("invalid-every", "Make every Nth message a truncated, invalid JSON payload that still shows its "
                                     "seq, e.g. {\"sensor\":\"s-001\",\"seq\":12, (for dead-letter tests; default 0 = "
                                     "never).", "n", "0"),
        valueOption("progress", "Print a progress line on stderr every SECONDS (default 0 = never).", "seconds", "0"),
        valueOption("drain-timeout", "How long to wait for outstanding acknowledgements at the end or after a "
                                     "stop signal (default 10).", "seconds", "10"),
        valueOption("max-pending", "Publishing blocks while this many messages are undelivered; bounds memory "
                                   "(default 10000, at most 60000).", "n", "10000"),
        valueOption("max-inflight", "QoS 1/2 messages sent and awaiting their acknowledgement (default 100). "
                                    "Raise it when the broker is far away: throughput <= max-inflight / round trip.",
                    "n", "100"),
        QCommandLineOption(QStringLiteral("quiet"), QStringLiteral("No connection notices on stderr; the summary "
                                                                   "line and errors are still printed.")),
    });
}

// The options as the simulation's settings; a bad value leaves its message in `opt`.
iot::SimOptions readOptions(const QCommandLineParser &parser, Options &opt)
{
    iot::SimOptions sim;
    auto &pub = sim.publish;
    pub.host = parser.value(QStringLiteral("host"));
    if (pub.host.isEmpty())
        opt.fail(QStringLiteral("--host must not be empty"));
    pub.port = opt.integer(QStringLiteral("port"), 1, 65535);
    pub.qos = opt.integer(QStringLiteral("qos"), 0, 2);
    const QString protocol = parser.value(QStringLiteral("protocol"));
    if (protocol == QLatin1String("3.1.1") || protocol == QLatin1String("311") || protocol == QLatin1String("4"))
        pub.protocolVersion = 4;
    else if (protocol == QLatin1String("5") || protocol == QLatin1String("5.0"))
        pub.protocolVersion = 5;
    else
        opt.fail(QStringLiteral("--protocol must be 3.1.1 or 5, not \"%1\"").arg(protocol));
    pub.username = parser.value(QStringLiteral("username"));
    pub.password = parser.isSet(QStringLiteral("password")) ? parser.value(QStringLiteral("password"))
                                                             : qEnvironmentVariable("IOT_MQTT_PASSWORD");
    pub.clientId = parser.value(QStringLiteral("client-id"));
    pub.cleanSession = pub.qos == 0;
    pub.maxPending = opt.integer(QStringLiteral("max-pending"), 1, 60000);
    pub.maxInflight = opt.integer(QStringLiteral("max-inflight"), 1, 65535);

    sim.payload.sensors = opt.integer(QStringLiteral("sensors"), 1, kMaxSensors);
    sim.payload.rooms = opt.integer(QStringLiteral("rooms"), 1, kMaxSensors);
    sim.payload.topicPrefix = parser.value(QStringLiteral("topic-prefix")).toUtf8();
    if (sim.payload.topicPrefix.isEmpty() || sim.payload.topicPrefix.contains('+')
        || sim.payload.topicPrefix.contains('#') || sim.payload.topicPrefix.contains('\0'))
        opt.fail(QStringLiteral("--topic-prefix must be non-empty and free of the wildcards + and #"));
    sim.payload.payloadSize = opt.integer(QStringLiteral("payload-size"), 0, kMaxPayloadSize);

    const auto maxU64 = std::numeric_limits<quint64>::max();
    sim.count = opt.integer<quint64>(QStringLiteral("count"), 0, maxU64);
    sim.rate = opt.number(QStringLiteral("rate"), 1e9);
    sim.seqStart = opt.integer<quint64>(QStringLiteral("seq-start"), 0, maxU64 / 2);
    sim.invalidEvery = opt.integer<quint64>(QStringLiteral("invalid-every"), 0, maxU64);
    sim.progressSec = opt.number(QStringLiteral("progress"), 86400);
    sim.drainTimeoutMs = int(opt.number(QStringLiteral("drain-timeout"), 86400) * 1000);
    sim.quiet = parser.isSet(QStringLiteral("quiet"));
    return sim;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("iot-simulate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IOT_VERSION));

    QCommandLineParser parser;
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    describe(parser);

    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption))
        parser.showHelp(0);
    if (parser.isSet(versionOption))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().constFirst()));

    Options opt(parser);
    const iot::SimOptions sim = readOptions(parser, opt);
    if (opt.error())
        return usageError(opt.error()->message);

    installStopHandlers();
    const iot::SimStats stats = iot::runSimulation(sim, &g_stop);

    if (!stats.error.isEmpty())
        std::fprintf(stderr, "iot-simulate: error: %s\n", stats.error.toLocal8Bit().constData());
    if (stats.lost > 0)
        std::fprintf(stderr, "iot-simulate: %llu messages lost (QoS 0 during a disconnect, or refused by the broker)\n",
                     static_cast<unsigned long long>(stats.lost));
    std::printf("published=%llu delivered=%llu seconds=%.3f rate=%.0f msgs/s\n",
                static_cast<unsigned long long>(stats.published), static_cast<unsigned long long>(stats.delivered),
                stats.seconds, stats.rate);
    std::fflush(stdout);
    return stats.allDelivered() ? 0 : kExitUndelivered;
}
