// SPDX-License-Identifier: MIT
#pragma once

#include "mqtt/messagesource.h"

#include <QByteArray>

#include <atomic>

namespace iot::test {

/// A broker connection without a broker, for the ingest side's unit tests: connects at once on start(), delivers
/// numbered messages ({"seq":N}, or with a marker) when told to and only while reading is not paused, and reports
/// stop() as MqttClient does (Disconnected, then stopped()). Lives on the ingest thread like the real source; the
/// test thread calls publish() through QMetaObject::invokeMethod, or directly when both share a thread.
class FakeMessageSource final : public MessageSource
{
    Q_OBJECT
public:
    explicit FakeMessageSource(QByteArray topic = QByteArrayLiteral("fake/1")) : m_topic(std::move(topic)) {}

    void start() override;
    void stop() override;
    void setReadingPaused(bool paused) override { m_paused = paused; }
    void reconnectNow() override {}

    /// Delivers up to `count` messages numbered on from the last one, those whose seq is `marked` carrying
    /// `marker`; stops early while reading is paused or after stop(). Returns how many were delivered.
    int publish(int count, int marked = -1, const QByteArray &marker = {});
    /// Delivers one message as given (a payload that is not JSON, say), unless paused or stopped.
    bool publishRaw(const QByteArray &topic, const QByteArray &payload);
    /// The seq the next message gets (from 1).
    int next() const { return m_next; }
    bool isPaused() const { return m_paused; }
    bool wasStarted() const { return m_started; }
    bool wasStopped() const { return m_stopped; }

    static QByteArray payload(int seq, const QByteArray &marker = {});
    /// The seq of a payload() (0 if none).
    static int seqOf(const QByteArray &payload);
    /// The seq numbers first..last without `except`: what a test expects to find stored, in order.
    static QList<int> seqs(int first, int last, const QList<int> &except = {});

private:
    QByteArray m_topic;
    std::atomic<bool> m_paused{false};
    std::atomic<bool> m_started{false};
    std::atomic<bool> m_stopped{false};
    int m_next = 1;
};

} // namespace iot::test
