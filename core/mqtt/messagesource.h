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
    /// Failed: a problem of the configuration that no retry can fix (a TLS file that cannot be used, a broker
    /// certificate that the configured trust refuses): nothing is tried any more, the engine reports it as fatal.
    enum class State { Disconnected, Connecting, Connected, Reconnecting, Stopping, Failed };
    Q_ENUM(State)
    /// Why the source is not (or no longer) connected.
    enum class Cause { None, SetupFailed, ConnectFailed, ConnectionLost, Stopped, Tls };
    Q_ENUM(Cause)
    /// Cause::Tls: what TLS refused. The first five are found while reading the configured files, the rest in a
    /// handshake; isConfigProblem() says which no retry can fix.
    enum class TlsProblem {
        None,
        CaFile,            // tls_ca_file missing, unreadable, or without a certificate
        CertFile,          // tls_cert_file
        KeyFile,           // tls_key_file
        KeyMismatch,       // the key does not belong to the certificate
        Settings,          // OpenSSL refused the TLS settings themselves
        UnknownAuthority,  // the broker's certificate does not lead to a trusted CA
        HostMismatch,      // the broker's certificate is not for the host name or address configured
        NotValidNow,       // expired or not yet valid (the broker's certificate, or our clock)
        BadCertificate,    // any other reason the broker's certificate was refused
        RefusedByBroker,   // the broker refused us (our client certificate missing or not trusted there)
        Handshake,         // any other handshake failure (protocol version, ciphers)
        Interrupted,       // the connection ended in the middle of the handshake (a restart, or not a TLS port)
    };
    Q_ENUM(TlsProblem)
    /// True when retrying cannot help: the configuration (ours or the broker's) must change.
    static bool isConfigProblem(TlsProblem problem);

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
        TlsProblem tls = TlsProblem::None;  // Cause::Tls: which
        QString message{};           // the library's or broker's words for the cause: "connection refused",
                                     // "certificate verify failed: unable to get local issuer certificate"
        int sessionsTakenOver = 0;   // > 0: the broker keeps ending our session right after it began (another
                                     // live client with our client id); how many in a row. Kept across states.
        bool takeoverConfirmed = false;  // the broker said so (MQTT 5 reason 0x8E), not only the timing

        /// The one-line text of logs and /readyz: "connected to h:1883", "attempt 3 in 4.2 s: connection refused";
        /// while a takeover is suspected, takeoverText().
        QString detail() const;
        /// "the broker took our session over 3 times in a row (…): another live client uses this client id …",
        /// empty when no takeover is suspected.
        QString takeoverText() const;
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
    /// Flow control: while paused, nothing is handed on and nothing acknowledged, so the broker holds what arrives;
    /// the connection itself stays up.
    virtual void setReadingPaused(bool paused) = 0;
    /// Drops the current connection attempt or wait and connects now.
    virtual void reconnectNow() = 0;

    static QString stateName(State state);

Q_SIGNALS:
    void stateChanged(const iot::MessageSource::StateInfo &info);
    void errorOccurred(const QString &message);
    void stopped();

protected:
    /// Stamps `info.sinceUs` and the takeover fields; emits on a change of state only.
    void setState(StateInfo info);
    /// The session takeover the source suspects (0: none); emits at once when it changes, whatever the state.
    void setSessionsTakenOver(int count, bool confirmed);
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
