// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QtGlobal>

namespace iot {

/// How the simulated fleet is laid out and how large its messages are.
struct PayloadOptions
{
    QByteArray topicPrefix = QByteArrayLiteral("sensors");
    int sensors = 10;        // sensor indexes 0..sensors-1, named s-001 .. s-<sensors>
    int rooms = 4;           // sensor i lives in room lab-<(i % rooms) + 1>
    int payloadSize = 0;     // 0: natural size; larger: padded to exactly this many bytes
};

/// Builds the MQTT topic and JSON payload of one simulated sensor reading into reused buffers (no allocation per
/// message in steady state). Not thread-safe: one instance per publishing thread.
class SensorPayload
{
public:
    explicit SensorPayload(PayloadOptions options = {});

    // Reading number `seq` of sensor `sensorIndex` (0-based), device time `timestampMs` (epoch ms).
    // topic() and payload() refer to it until the next build call.
    void build(quint64 seq, int sensorIndex, qint64 timestampMs);
    // A deliberately truncated payload that still carries the seq, for dead-letter tests and demos.
    void buildInvalid(quint64 seq, int sensorIndex);

    const QByteArray &topic() const { return m_topic; }
    const QByteArray &payload() const { return m_payload; }
    const PayloadOptions &options() const { return m_options; }

    QByteArray sensorName(int sensorIndex) const;   // "s-017"
    QByteArray roomName(int sensorIndex) const;     // "lab-2"
    double temperature(quint64 seq, int sensorIndex) const;
    double humidity(quint64 seq, int sensorIndex) const;

private:
    void buildTopic(int sensorIndex);

    PayloadOptions m_options;
    QByteArray m_topic;
    QByteArray m_payload;
};

} // namespace iot
