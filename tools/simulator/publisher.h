// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <atomic>
#include <memory>

namespace iot {

/// Where and how a Publisher connects.
struct PublishOptions
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 1883;
    QString clientId;            // empty: "iot-simulate-<pid>-<random>", unique per process
    int qos = 0;                 // the QoS a caller such as runSimulation() publishes at
    int protocolVersion = 4;     // 4 = MQTT 3.1.1, 5 = MQTT 5
    QString username;
    QString password;
    bool cleanSession = false;   // false: QoS>=1 messages queued while disconnected are resent after reconnect
    int keepAliveSec = 30;
    int maxPending = 10000;      // publish() blocks while this many messages are not yet delivered (<= 60000)
    int maxInflight = 100;       // QoS 1/2 messages sent but not acknowledged; the rest wait in libmosquitto
};

/// A synchronous, blocking MQTT publisher over libmosquitto, for load generation and tests; reconnects by itself.
/// Call it from one thread; libmosquitto's own network thread (mosquitto_loop_start) runs the callbacks.
///
/// Delivery accounting: a QoS 0 message counts as delivered once written to the socket, a QoS 1/2 one when its
/// PUBACK/PUBCOMP arrives. When the connection drops, QoS 0 messages still queued and QoS 0 messages published
/// while disconnected are lost (lost() counts them, publish() returns false for the latter); QoS 1/2 messages are
/// kept by libmosquitto and resent (with DUP) after the reconnect: the broker gets each, some possibly twice.
class Publisher
{
public:
    explicit Publisher(PublishOptions options = {});
    ~Publisher();
    Q_DISABLE_COPY_MOVE(Publisher)

    // Starts the network thread and waits for the CONNACK; false (see lastError()) on refusal or timeout.
    bool connect(int timeoutMs = 10000);
    // Queues one message. Blocks while maxPending messages are undelivered (backpressure); false on error, when
    // a QoS 0 message meets a dropped connection, or when the cancel flag is raised while blocked.
    bool publish(const QByteArray &topic, const QByteArray &payload, int qos, bool retain = false);
    // Waits for the network thread to (re)establish the connection; false on timeout.
    bool waitConnected(int timeoutMs);
    // Waits until every accepted message is delivered or lost; false on timeout.
    bool waitAllDelivered(int timeoutMs);
    // Sends DISCONNECT and stops the network thread; undelivered messages are abandoned.
    void disconnect();

    // A flag (e.g. set by a signal handler) that makes blocked publish()/connect() calls give up within ~50 ms.
    void setCancelFlag(const std::atomic_bool *flag);

    bool isConnected() const;
    QString clientId() const;
    // published() == acknowledged() + lost() + pending() at all times.
    quint64 published() const;      // messages publish() took on, including QoS 0 ones dropped for lack of a link
    quint64 acknowledged() const;   // delivered, see above
    quint64 lost() const;           // QoS 0 dropped with the connection, or PUBACK with an MQTT 5 error reason
    quint64 pending() const;        // queued or in flight
    quint64 reconnects() const;     // successful connects after the first
    QString lastError() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
