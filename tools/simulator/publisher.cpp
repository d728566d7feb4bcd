// SPDX-License-Identifier: MIT
#include "publisher.h"

#include <QCoreApplication>
#include <QRandomGenerator>

#include <mosquitto.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>

namespace iot {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kCancelPoll = std::chrono::milliseconds(50);
// Message ids are 16 bit; a window below 65535 guarantees an id is not reused while its message is pending,
// which the per-id QoS table relies on.
constexpr int kMaxWindow = 60000;

void initLibraryOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        mosquitto_lib_init();
        // A broker restart makes the next write() raise SIGPIPE, whose default action kills the process.
        // Respect a handler the application installed itself.
        struct sigaction current {};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    });
}

QString defaultClientId()
{
    return QStringLiteral("iot-simulate-%1-%2")
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::global()->generate() & 0xffffff, 6, 16, QLatin1Char('0'));
}

} // namespace

struct Publisher::Private
{
    PublishOptions options;
    QByteArray clientId;
    mosquitto *mosq = nullptr;
    bool loopRunning = false;
    const std::atomic_bool *cancel = nullptr;

    mutable std::mutex mutex;
    std::condition_variable changed;
    bool connected = false;
    bool everConnected = false;
    int connackCode = -1;                // -1: no CONNACK yet
    quint64 published = 0;
    quint64 acknowledged = 0;
    quint64 lost = 0;
    quint64 pendingQos0 = 0;
    quint64 reconnects = 0;
    QString lastError;
    std::array<quint8, 65536> qosOfMid{};

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    quint64 pendingLocked() const { return published - acknowledged - lost; }

    static void onConnect(mosquitto *, void *obj, int rc, int, const mosquitto_property *)
    {
        auto *self = static_cast<Private *>(obj);
        std::lock_guard lock(self->mutex);
        self->connackCode = rc;
        if (rc == 0) {
            if (self->everConnected)
                ++self->reconnects;
            self->connected = true;
            self->everConnected = true;
        } else {
            self->lastError = QStringLiteral("connection refused: %1")
                                  .arg(QString::fromUtf8(self->options.protocolVersion == MQTT_PROTOCOL_V5
                                                             ? mosquitto_reason_string(rc)
                                                             : mosquitto_connack_string(rc)));
        }
        self->changed.notify_all();
    }

    static void onDisconnect(mosquitto *, void *obj, int rc, const mosquitto_property *)
    {
        auto *self = static_cast<Private *>(obj);
        std::lock_guard lock(self->mutex);
        const bool wasConnected = self->connected;
        self->connected = false;
        // libmosquitto discards unsent packets on reconnect without a callback; QoS 0 messages have no other copy.
        self->lost += self->pendingQos0;
        self->pendingQos0 = 0;
        // A refused CONNACK is followed by a disconnect; keep the more telling refusal reason.
        if (rc != 0 && (wasConnected || self->lastError.isEmpty()))
            self->lastError = QStringLiteral("connection lost: %1").arg(QString::fromUtf8(mosquitto_strerror(rc)));
        self->changed.notify_all();
    }

    static void onPublish(mosquitto *, void *obj, int mid, int reasonCode, const mosquitto_property *)
    {
        auto *self = static_cast<Private *>(obj);
        std::lock_guard lock(self->mutex);
        if (self->qosOfMid[quint16(mid)] == 0) {
            if (self->pendingQos0 == 0)
                return;  // already written off as lost by onDisconnect
            --self->pendingQos0;
        }
        // MQTT 5 brokers may refuse a message in its PUBACK (quota, not authorised); it was not delivered.
        if (reasonCode >= 0x80) {
            ++self->lost;
            self->lastError = QStringLiteral("publish refused: %1").arg(QString::fromUtf8(mosquitto_reason_string(reasonCode)));
        } else {
            ++self->acknowledged;
        }
        self->changed.notify_all();
    }
};

Publisher::Publisher(PublishOptions options) : d(std::make_unique<Private>())
{
    initLibraryOnce();
    d->options = std::move(options);
    d->options.maxPending = std::clamp(d->options.maxPending, 1, kMaxWindow);
    d->options.maxInflight = std::clamp(d->options.maxInflight, 1, 65535);
    if (d->options.clientId.isEmpty())
        d->options.clientId = defaultClientId();
    d->clientId = d->options.clientId.toUtf8();

    d->mosq = mosquitto_new(d->clientId.constData(), d->options.cleanSession, d.get());
    if (!d->mosq) {
        d->lastError = QStringLiteral("mosquitto_new failed");
        return;
    }
    mosquitto_int_option(d->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         d->options.protocolVersion == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    // libmosquitto scans its whole in-flight list on every publish and every PUBACK while it has send quota, so a
    // huge in-flight limit costs O(n) per message (measured: 10,000 in flight = 5k msgs/s, 100 = 50k msgs/s on
    // localhost). A modest limit with a larger queue behind it (maxPending) is fastest; raise it for high-RTT links.
    mosquitto_int_option(d->mosq, MOSQ_OPT_SEND_MAXIMUM, d->options.maxInflight);
    // Nagle's algorithm holds back small PUBLISH packets until the broker's (delayed) TCP ACK arrives, which
    // throttles a small window to a few hundred messages per second.
    mosquitto_int_option(d->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_reconnect_delay_set(d->mosq, 1, 2, false);
    if (!d->options.username.isEmpty()) {
        mosquitto_username_pw_set(d->mosq, d->options.username.toUtf8().constData(),
                                  d->options.password.isEmpty() ? nullptr : d->options.password.toUtf8().constData());
    }
    mosquitto_connect_v5_callback_set(d->mosq, &Private::onConnect);
    mosquitto_disconnect_v5_callback_set(d->mosq, &Private::onDisconnect);
    mosquitto_publish_v5_callback_set(d->mosq, &Private::onPublish);
}

Publisher::~Publisher()
{
    if (!d->mosq)
        return;
    disconnect();
    mosquitto_destroy(d->mosq);
}

bool Publisher::connect(int timeoutMs)
{
    if (!d->mosq)
        return false;
    if (!d->loopRunning) {
        const int rc = mosquitto_loop_start(d->mosq);
        if (rc != MOSQ_ERR_SUCCESS) {
            std::lock_guard lock(d->mutex);
            d->lastError = QStringLiteral("cannot start the network thread: %1").arg(QString::fromUtf8(mosquitto_strerror(rc)));
            return false;
        }
        d->loopRunning = true;
    }
    {
        std::lock_guard lock(d->mutex);
        d->connackCode = -1;
    }
    const QByteArray host = d->options.host.toUtf8();
    const int rc = mosquitto_connect_async(d->mosq, host.constData(), d->options.port, d->options.keepAliveSec);
    if (rc != MOSQ_ERR_SUCCESS) {
        // Not fatal: the network thread keeps retrying, so a broker that comes up within the timeout still works.
        std::lock_guard lock(d->mutex);
        d->lastError = QStringLiteral("cannot connect to %1:%2: %3")
                           .arg(d->options.host)
                           .arg(d->options.port)
                           .arg(rc == MOSQ_ERR_ERRNO ? QString::fromLocal8Bit(std::strerror(errno))
                                                     : QString::fromUtf8(mosquitto_strerror(rc)));
    }

    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    std::unique_lock lock(d->mutex);
    while (!d->connected && d->connackCode <= 0 && !d->cancelled()) {
        if (Clock::now() >= deadline)
            break;
        d->changed.wait_until(lock, std::min(deadline, Clock::now() + kCancelPoll));
    }
    if (d->connected)
        return true;
    if (d->connackCode <= 0) {
        const QString why = d->lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(d->lastError);
        d->lastError = d->cancelled() ? QStringLiteral("cancelled while connecting")
                                      : QStringLiteral("no CONNACK from %1:%2 within %3 ms%4")
                                            .arg(d->options.host).arg(d->options.port).arg(timeoutMs).arg(why);
    }
    lock.unlock();
    disconnect();  // stop the retry loop: the caller treats a failed connect as final
    return false;
}

bool Publisher::publish(const QByteArray &topic, const QByteArray &payload, int qos, bool retain)
{
    std::unique_lock lock(d->mutex);
    if (!d->mosq || !d->loopRunning) {
        d->lastError = QStringLiteral("publish() before a successful connect()");
        return false;
    }
    if (d->pendingLocked() >= quint64(d->options.maxPending)) {
        // Resume only once a quarter of the window has drained: waking for every single acknowledgement would
        // cost a context switch per message.
        const quint64 resumeAt = quint64(d->options.maxPending) - quint64(std::max(1, d->options.maxPending / 4));
        while (d->pendingLocked() > resumeAt) {
            if (d->cancelled()) {
                d->lastError = QStringLiteral("cancelled while waiting for acknowledgements");
                return false;
            }
            d->changed.wait_for(lock, kCancelPoll);
        }
    }
    if (qos == 0 && !d->connected) {
        ++d->lost;
        ++d->published;
        d->lastError = QStringLiteral("not connected: QoS 0 message dropped");
        return false;
    }

    // The lock is held across mosquitto_publish so that onPublish (network thread) cannot see the message id before
    // its QoS is recorded. Safe: with loop_start, mosquitto_publish only queues and never runs a callback itself.
    int mid = 0;
    const int rc = mosquitto_publish(d->mosq, &mid, topic.constData(), int(payload.size()), payload.constData(), qos,
                                     retain);
    // For QoS>0 libmosquitto keeps the message even when the socket is down (it reports NO_CONN) and resends it
    // after the reconnect, so it is pending, not failed.
    if (rc == MOSQ_ERR_SUCCESS || (qos > 0 && rc == MOSQ_ERR_NO_CONN)) {
        d->qosOfMid[quint16(mid)] = quint8(qos);
        ++d->published;
        if (qos == 0)
            ++d->pendingQos0;
        return true;
    }
    if (qos == 0 && rc == MOSQ_ERR_NO_CONN) {
        ++d->published;
        ++d->lost;
    }
    d->lastError = QStringLiteral("publish failed: %1").arg(QString::fromUtf8(mosquitto_strerror(rc)));
    return false;
}

bool Publisher::waitConnected(int timeoutMs)
{
    std::unique_lock lock(d->mutex);
    return d->changed.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this] { return d->connected; });
}

bool Publisher::waitAllDelivered(int timeoutMs)
{
    std::unique_lock lock(d->mutex);
    return d->changed.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this] { return d->pendingLocked() == 0; });
}

void Publisher::disconnect()
{
    if (!d->mosq || !d->loopRunning)
        return;
    mosquitto_disconnect(d->mosq);
    // force=false lets the thread send the DISCONNECT; it exits because the state is now "disconnected".
    mosquitto_loop_stop(d->mosq, false);
    d->loopRunning = false;
    std::lock_guard lock(d->mutex);
    d->connected = false;
}

void Publisher::setCancelFlag(const std::atomic_bool *flag)
{
    d->cancel = flag;
}

bool Publisher::isConnected() const
{
    std::lock_guard lock(d->mutex);
    return d->connected;
}

QString Publisher::clientId() const
{
    return d->options.clientId;
}

quint64 Publisher::published() const
{
    std::lock_guard lock(d->mutex);
    return d->published;
}

quint64 Publisher::acknowledged() const
{
    std::lock_guard lock(d->mutex);
    return d->acknowledged;
}

quint64 Publisher::lost() const
{
    std::lock_guard lock(d->mutex);
    return d->lost;
}

quint64 Publisher::pending() const
{
    std::lock_guard lock(d->mutex);
    return d->pendingLocked();
}

quint64 Publisher::reconnects() const
{
    std::lock_guard lock(d->mutex);
    return d->reconnects;
}

QString Publisher::lastError() const
{
    std::lock_guard lock(d->mutex);
    return d->lastError;
}

} // namespace iot
