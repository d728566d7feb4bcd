// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QObject>
#include <QString>

#include <functional>

namespace iot {

/// Where messages come from: the seam the engine's ingest side takes (MqttClient in production). Lives on the
/// ingest thread; its handler is called on that thread, once per message, with views valid only during the call.
class MessageSource : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Reconnecting, Stopping };
    Q_ENUM(State)

    using Handler = std::function<void(QByteArrayView topic, QByteArrayView payload)>;

    explicit MessageSource(QObject *parent = nullptr);
    ~MessageSource() override;

    void setMessageHandler(Handler handler) { m_handler = std::move(handler); }
    State state() const { return m_state; }

    /// Connects and subscribes; reconnects by itself until stop().
    virtual void start() = 0;
    /// Stops reading, disconnects cleanly; emits stopped() when done.
    virtual void stop() = 0;
    /// Flow control: while paused, nothing is read from the network, so the broker holds what arrives.
    virtual void setReadingPaused(bool paused) = 0;
    /// Drops the current connection attempt or wait and connects now.
    virtual void reconnectNow() = 0;

    static QString stateName(State state);

Q_SIGNALS:
    /// `detail`: "connected to host:port", "retry 3 in 4.2 s: connection refused", ...
    void stateChanged(iot::MessageSource::State state, const QString &detail);
    void errorOccurred(const QString &message);
    void stopped();

protected:
    void setState(State state, const QString &detail);
    void deliver(QByteArrayView topic, QByteArrayView payload)
    {
        if (m_handler)
            m_handler(topic, payload);
    }

private:
    Handler m_handler;
    State m_state = State::Disconnected;
};

} // namespace iot
