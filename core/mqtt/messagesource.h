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
    /// Why the source is not (or no longer) connected.
    enum class Cause { None, SetupFailed, ConnectFailed, ConnectionLost, Stopped };
    Q_ENUM(Cause)

    /// A state with what goes with it, emitted whole on every change and carried by EngineSnapshot: the window and
    /// /readyz format it, nothing parses it.
    struct StateInfo
    {
        State state = State::Disconnected;
        qint64 sinceUs = 0;          // wall time the state began (0: not started)
        QString endpoint{};          // "127.0.0.1:1883"
        int attempt = 0;             // Reconnecting: the try that comes next, from 1
        qint64 retryDelayUs = 0;     // Reconnecting: the wait announced at sinceUs
        Cause cause = Cause::None;
        QString message{};           // the library's or broker's words for the cause: "connection refused"

        /// The one-line text of logs and /readyz: "connected to h:1883", "attempt 3 in 4.2 s: connection refused".
        QString detail() const;
        bool operator==(const StateInfo &) const = default;
    };

    using Handler = std::function<void(QByteArrayView topic, QByteArrayView payload)>;

    explicit MessageSource(QObject *parent = nullptr);
    ~MessageSource() override;

    void setMessageHandler(Handler handler) { m_handler = std::move(handler); }
    State state() const { return m_info.state; }
    const StateInfo &stateInfo() const { return m_info; }

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
    void stateChanged(const iot::MessageSource::StateInfo &info);
    void errorOccurred(const QString &message);
    void stopped();

protected:
    /// Stamps `info.sinceUs`; emits on a change of state only.
    void setState(StateInfo info);
    void deliver(QByteArrayView topic, QByteArrayView payload)
    {
        if (m_handler)
            m_handler(topic, payload);
    }

private:
    Handler m_handler;
    StateInfo m_info;
};

} // namespace iot

Q_DECLARE_METATYPE(iot::MessageSource::StateInfo)
