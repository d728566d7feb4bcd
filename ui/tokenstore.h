// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

namespace iot {

/// Where the fleet view keeps the bearer tokens of remote instances: the system's credential store (Secret Service /
/// KWallet through QtKeychain) when the desktop has one, else a JSON file readable only by the user (0600, in
/// QStandardPaths::AppConfigLocation). Tokens never go to QSettings. Lives on the GUI thread; the keychain calls wait
/// in a local event loop (they answer in milliseconds, or fail at once when no store runs).
class TokenStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TokenStore)
public:
    enum class Backend { Keychain, File };
    Q_ENUM(Backend)

    /// IOT_TOKEN_STORE=file forces the file (tests, or a desktop whose keyring keeps asking).
    explicit TokenStore(QObject *parent = nullptr);
    ~TokenStore() override;

    /// The token kept for `key` (an instance's URL); empty when none.
    QByteArray read(const QString &key);
    /// Keeps `token` for `key` (an empty token removes it); false with errorString() when nothing could keep it.
    bool write(const QString &key, const QByteArray &token);
    void remove(const QString &key) { write(key, {}); }

    /// Keychain until the store has failed once (or IOT_TOKEN_STORE=file); the store is asked at the first read or
    /// write, never by the constructor.
    Backend backend() const { return m_backend; }
    /// For the panel and the log: which store holds the tokens, and why the file when it is the file.
    QString description() const;
    QString errorString() const { return m_error; }
    /// The fallback file (whether or not it exists yet).
    static QString filePath();

private:
    bool keychainWrite(const QString &key, const QByteArray &token);
    bool keychainRead(const QString &key, QByteArray *token);
    QByteArray fileRead(const QString &key) const;
    bool fileWrite(const QString &key, const QByteArray &token);
    void fallBack(const QString &why);

    Backend m_backend = Backend::Keychain;
    bool m_asked = false;
    QString m_fallbackReason;
    QString m_error;
};

} // namespace iot
