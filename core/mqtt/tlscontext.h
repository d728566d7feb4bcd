// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mqtt/messagesource.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace iot {

/// The OpenSSL context the MQTT client hands to libmosquitto (MOSQ_OPT_SSL_CTX): the trust (system store, CA file
/// or CA directory), the client certificate and key, the host-name check, and what the last handshake on it
/// refused, as a TlsProblem with OpenSSL's words. Created and used on the ingest thread.
class TlsContext final
{
public:
    struct Problem
    {
        MessageSource::TlsProblem kind = MessageSource::TlsProblem::None;
        QString message;   // "certificate verify failed: unable to get local issuer certificate"
    };

    /// Reads the files [mqtt] tls_ca_file, tls_cert_file and tls_key_file name; null with `problem` set (which
    /// file, OpenSSL's reason) when one cannot be used.
    static std::unique_ptr<TlsContext> create(const MqttConfig &config, Problem *problem);
    ~TlsContext();
    Q_DISABLE_COPY_MOVE(TlsContext)

    /// The SSL_CTX, for mosquitto_void_option(MOSQ_OPT_SSL_CTX); libmosquitto takes its own reference.
    void *sslContext() const;
    /// What an operator should hear about at start though it is not an error (a CA directory without hashed names).
    QStringList warnings() const;
    /// Forgets what an earlier handshake refused; called before each connection attempt.
    void resetHandshake();
    /// What the handshake since resetHandshake() refused: a verification failure, an alert from the broker, or
    /// another OpenSSL error; kind None when nothing was refused.
    Problem handshakeProblem() const;

    /// An X509_V_ERR_* code as a problem (pure, for tests).
    static MessageSource::TlsProblem problemForVerifyError(long x509Error);
    /// A TLS alert description received from the broker as a problem (pure, for tests).
    static MessageSource::TlsProblem problemForAlert(int alertDescription);

private:
    TlsContext();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace iot
