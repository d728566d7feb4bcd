// SPDX-License-Identifier: MIT
#include "mqtt/tlscontext.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

namespace iot {

using TlsProblem = MessageSource::TlsProblem;

namespace {

// OpenSSL's reason for the most recent error on this thread ("no certificate or crl found"); clears the queue.
QString opensslReason()
{
    const unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : nullptr;
    ERR_clear_error();
    return reason ? QString::fromUtf8(reason) : QStringLiteral("unknown OpenSSL error");
}

// Why a file cannot be read, in the words an operator can act on; empty when it can.
QString unreadable(const QString &path, bool directoryAllowed)
{
    const QFileInfo fi(path);
    if (!fi.exists())
        return QStringLiteral("does not exist");
    if (fi.isDir() && !directoryAllowed)
        return QStringLiteral("is a directory");
    if (!fi.isReadable())
        return QStringLiteral("is not readable (permission denied)");
    return {};
}

// An alert's description in words; OpenSSL 3.0 has none for TLS 1.3's certificate_required.
QString alertText(int description)
{
    if (description == SSL_AD_CERTIFICATE_REQUIRED)
        return QStringLiteral("certificate required");
    return QString::fromUtf8(SSL_alert_desc_string_long(description));
}

// Never prompt on a terminal for a key's passphrase: an encrypted key fails to load instead.
int noPassphrase(char *, int, int, void *)
{
    return 0;
}

} // namespace

struct TlsContext::Private
{
    SSL_CTX *ctx = nullptr;
    QStringList warnings;
    // What the current handshake refused; written by the info callback during libmosquitto's SSL calls.
    unsigned long sslError = 0;   // the OpenSSL error that ended a handshake step
    long verifyResult = X509_V_OK;
    int alert = 0;                // a fatal alert the broker sent (its description), 0: none

    static void info(const SSL *ssl, int where, int ret);
};

// Called by OpenSSL on the ingest thread inside libmosquitto's SSL_connect/SSL_read/SSL_write. libmosquitto
// empties the error queue after it logged it, so the reason is taken here, while it is still there.
void TlsContext::Private::info(const SSL *ssl, int where, int ret)
{
    auto *p = static_cast<Private *>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (!p)
        return;
    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL)
        p->alert = ret & 0xff;
    // A handshake step that ended without success: either it would block (no error queued) or it failed.
    if ((where & SSL_CB_EXIT) && ret <= 0) {
        if (const unsigned long e = ERR_peek_last_error(); e != 0 && p->sslError == 0) {
            p->sslError = e;
            p->verifyResult = SSL_get_verify_result(ssl);
        }
    }
}

TlsContext::TlsContext() : d(std::make_unique<Private>()) {}

TlsContext::~TlsContext()
{
    if (d->ctx) {
        SSL_CTX_set_app_data(d->ctx, nullptr);
        SSL_CTX_free(d->ctx);
    }
}

namespace {

using Problem = TlsContext::Problem;

Problem refusal(TlsProblem kind, const QString &message)
{
    ERR_clear_error();
    return {kind, message};
}

// tls_min_version and tls_ciphers; without them versions and ciphers stay OpenSSL's (and openssl.cnf's) defaults.
std::optional<Problem> applyProtocol(SSL_CTX *ctx, const MqttConfig &config)
{
    if (!config.tlsMinVersion.isEmpty()) {
        // The loader admits only "1.2" and "1.3".
        const int version = config.tlsMinVersion == u"1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
        if (SSL_CTX_set_min_proto_version(ctx, version) != 1)
            return refusal(TlsProblem::Settings, QStringLiteral("cannot set tls_min_version %1: %2")
                                                     .arg(config.tlsMinVersion, opensslReason()));
    }
    if (!config.tlsCiphers.isEmpty() && SSL_CTX_set_cipher_list(ctx, config.tlsCiphers.toUtf8().constData()) != 1)
        return refusal(TlsProblem::Settings, QStringLiteral("tls_ciphers \"%1\" names no cipher OpenSSL offers: %2")
                                                 .arg(config.tlsCiphers, opensslReason()));
    return std::nullopt;
}

// What the broker's certificate is checked against: the system store, a CA file or a hashed CA directory.
std::optional<Problem> loadTrust(SSL_CTX *ctx, const QString &ca, QStringList *warnings)
{
    if (ca.isEmpty()) {
        // The system's trust store; OpenSSL also honours SSL_CERT_FILE and SSL_CERT_DIR.
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return refusal(TlsProblem::CaFile, QStringLiteral("cannot load the system CA certificates: ") + opensslReason());
        return std::nullopt;
    }
    if (const QString why = unreadable(ca, true); !why.isEmpty())
        return refusal(TlsProblem::CaFile, QStringLiteral("CA file %1 %2").arg(ca, why));
    const QByteArray path = QFile::encodeName(ca);
    if (!QFileInfo(ca).isDir()) {
        if (SSL_CTX_load_verify_file(ctx, path.constData()) != 1)
            return refusal(TlsProblem::CaFile, QStringLiteral("cannot use CA file %1: %2").arg(ca, opensslReason()));
        return std::nullopt;
    }
    if (SSL_CTX_load_verify_dir(ctx, path.constData()) != 1)
        return refusal(TlsProblem::CaFile, QStringLiteral("cannot use CA directory %1: %2").arg(ca, opensslReason()));
    // OpenSSL looks certificates up in a directory by subject hash ("1a2b3c4d.0"), never by file name.
    static const QRegularExpression hashed(QStringLiteral("^[0-9a-f]{8}\\.[0-9]+$"));
    const QStringList names = QDir(ca).entryList(QDir::Files | QDir::System);
    if (std::none_of(names.begin(), names.end(), [](const QString &n) { return hashed.match(n).hasMatch(); }))
        *warnings << QStringLiteral("CA directory %1 has no hashed certificate names (like 1a2b3c4d.0): "
                                    "OpenSSL will find no CA there; run 'openssl rehash %1'")
                         .arg(ca);
    return std::nullopt;
}

// Mutual TLS: our certificate (chain) and its key.
std::optional<Problem> loadClientIdentity(SSL_CTX *ctx, const MqttConfig &config)
{
    if (!config.tlsCertFile.isEmpty()) {
        if (const QString why = unreadable(config.tlsCertFile, false); !why.isEmpty())
            return refusal(TlsProblem::CertFile, QStringLiteral("certificate file %1 %2").arg(config.tlsCertFile, why));
        const QByteArray cert = QFile::encodeName(config.tlsCertFile);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert.constData()) != 1)
            return refusal(TlsProblem::CertFile,
                           QStringLiteral("cannot use certificate file %1: %2").arg(config.tlsCertFile, opensslReason()));
    }
    if (config.tlsKeyFile.isEmpty())
        return std::nullopt;
    if (const QString why = unreadable(config.tlsKeyFile, false); !why.isEmpty())
        return refusal(TlsProblem::KeyFile, QStringLiteral("key file %1 %2").arg(config.tlsKeyFile, why));
    const QByteArray key = QFile::encodeName(config.tlsKeyFile);
    const auto mismatch = [&config] {
        return refusal(TlsProblem::KeyMismatch, QStringLiteral("key file %1 does not belong to certificate %2: %3")
                                                    .arg(config.tlsKeyFile, config.tlsCertFile, opensslReason()));
    };
    if (SSL_CTX_use_PrivateKey_file(ctx, key.constData(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL checks the key against the certificate loaded before it as it loads it.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            return mismatch();
        return refusal(TlsProblem::KeyFile, QStringLiteral("cannot use key file %1 (a PEM key without passphrase is "
                                                           "needed): %2")
                                                .arg(config.tlsKeyFile, opensslReason()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return mismatch();
    return std::nullopt;
}

// tls_verify: the broker's certificate must chain to the trust and name what we connect to.
std::optional<Problem> applyPeerCheck(SSL_CTX *ctx, const MqttConfig &config)
{
    if (!config.tlsVerify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        return std::nullopt;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // An address is checked against the IP entries of subjectAltName, a name against the DNS entries (no partial
    // wildcards such as "b*.example.com").
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    const QByteArray host = config.host.toUtf8();
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = QHostAddress(config.host).isNull() ? X509_VERIFY_PARAM_set1_host(param, host.constData(), 0)
                                                      : X509_VERIFY_PARAM_set1_ip_asc(param, host.constData());
    if (ok != 1)
        return refusal(TlsProblem::Settings, QStringLiteral("cannot check host %1: %2").arg(config.host, opensslReason()));
    return std::nullopt;
}

} // namespace

std::unique_ptr<TlsContext> TlsContext::create(const MqttConfig &config, Problem *problem)
{
    std::unique_ptr<TlsContext> t(new TlsContext);
    t->d->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->d->ctx) {
        *problem = refusal(TlsProblem::Settings, QStringLiteral("cannot create a TLS context: ") + opensslReason());
        return nullptr;
    }
    SSL_CTX *ctx = t->d->ctx;
    SSL_CTX_set_app_data(ctx, t->d.get());
    SSL_CTX_set_info_callback(ctx, &Private::info);
    SSL_CTX_set_default_passwd_cb(ctx, &noPassphrase);
    std::optional<Problem> refused = applyProtocol(ctx, config);
    if (!refused)
        refused = loadTrust(ctx, config.tlsCaFile, &t->d->warnings);
    if (!refused)
        refused = loadClientIdentity(ctx, config);
    if (!refused)
        refused = applyPeerCheck(ctx, config);
    if (refused) {
        *problem = *refused;
        return nullptr;
    }
    ERR_clear_error();
    return t;
}

void *TlsContext::sslContext() const
{
    return d->ctx;
}

QStringList TlsContext::warnings() const
{
    return d->warnings;
}

void TlsContext::resetHandshake()
{
    d->sslError = 0;
    d->verifyResult = X509_V_OK;
    d->alert = 0;
}

TlsContext::Problem TlsContext::handshakeProblem() const
{
    if (d->sslError != 0 && ERR_GET_REASON(d->sslError) == SSL_R_CERTIFICATE_VERIFY_FAILED
        && d->verifyResult != X509_V_OK)
        return {problemForVerifyError(d->verifyResult),
                QStringLiteral("certificate verify failed: ")
                    + QString::fromUtf8(X509_verify_cert_error_string(d->verifyResult))};
    if (d->alert != 0)
        return {problemForAlert(d->alert), QStringLiteral("the broker refused the handshake: ") + alertText(d->alert)};
    if (d->sslError != 0 && ERR_GET_REASON(d->sslError) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {TlsProblem::Interrupted, QStringLiteral("the connection closed during the TLS handshake (is this the "
                                                        "broker's TLS port?)")};
    if (d->sslError != 0) {
        const char *reason = ERR_reason_error_string(d->sslError);
        return {TlsProblem::Handshake, reason ? QString::fromUtf8(reason) : QStringLiteral("TLS handshake failed")};
    }
    return {};
}

TlsProblem TlsContext::problemForVerifyError(long x509Error)
{
    switch (x509Error) {
    case X509_V_OK: return TlsProblem::None;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED: return TlsProblem::UnknownAuthority;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return TlsProblem::HostMismatch;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED: return TlsProblem::NotValidNow;
    default: return TlsProblem::BadCertificate;
    }
}

TlsProblem TlsContext::problemForAlert(int alertDescription)
{
    switch (alertDescription) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED: return TlsProblem::RefusedByBroker;
    default: return TlsProblem::Handshake;
    }
}

} // namespace iot
