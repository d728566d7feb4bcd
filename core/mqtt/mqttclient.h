// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mqtt/messagesource.h"

#include <cstdint>
#include <memory>

namespace iot {

/// MQTT subscriber on libmosquitto, driven by this thread's Qt event loop (QSocketNotifier for the socket, QTimer for
/// keep-alive and back-off; no library thread). Lives on the ingest thread; create it there (e.g. in a slot run on
/// QThread::started). Its surface mirrors QMqttClient's so that swapping in Qt MQTT later touches only this file.
class MqttClient final : public MessageSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttClient)
public:
    /// `maxPayloadBytes` (max_payload_bytes; 0: none) sizes the MQTT 5 maximum packet size (maxPacketBytes()).
    explicit MqttClient(const MqttConfig &config, double reconnectDelaySec, double reconnectMaxDelaySec,
                        int maxPayloadBytes = 0, QObject *parent = nullptr);
    ~MqttClient() override;

    void start() override;
    void stop() override;
    void setReadingPaused(bool paused) override;
    void reconnectNow() override;

    /// The MAXIMUM_PACKET_SIZE an MQTT 5 CONNECT announces for `maxPayloadBytes` (0: none announced).
    static std::uint32_t maxPacketBytes(int maxPayloadBytes);
    /// Calls mosquitto_lib_init once per process; safe to call repeatedly.
    static void initLibrary();
    /// The client id a config yields: client_id, or "iot-subscriber-<hostname>" (stable across restarts).
    static QString clientIdFor(const MqttConfig &config);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
