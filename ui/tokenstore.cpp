// SPDX-License-Identifier: MIT
#include "tokenstore.h"

#include "logging/log.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>

#include <qt6keychain/keychain.h>

namespace iot {
namespace {

const QString Service = QStringLiteral("iot-subscriber fleet view");

/// Runs a keychain job to its end in a local loop; returns its error.
QKeychain::Error runJob(QKeychain::Job &job, QString *message)
{
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.setAutoDelete(false);
    job.start();
    loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (message)
        *message = job.errorString();
    return job.error();
}

/// Why the keychain cannot be used, in words (QtKeychain says "Unknown error" when no Secret Service answers).
QString storeMissing(const QString &message)
{
    if (message.isEmpty() || message == QLatin1String("Unknown error"))
        return TokenStore::tr("no Secret Service or KWallet on the session bus");
    return TokenStore::tr("no credential store: %1").arg(message);
}

} // namespace

TokenStore::TokenStore(QObject *parent) : QObject(parent)
{
    if (qEnvironmentVariable("IOT_TOKEN_STORE") == QLatin1String("file")) {
        fallBack(tr("IOT_TOKEN_STORE=file"));
        return;
    }
    // The credential store is first asked when a token is read or kept, not here: a window that watches no remote
    // instance never touches it (no keyring prompt at every start, no D-Bus round trip in the window's constructor).
}

TokenStore::~TokenStore() = default;

QString TokenStore::filePath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation))
        .filePath(QStringLiteral("instance-tokens.json"));
}

QString TokenStore::description() const
{
    if (m_backend == Backend::Keychain && !m_asked)
        return tr("tokens go to the system's credential store, asked when the first instance is added");
    if (m_backend == Backend::Keychain)
        return tr("tokens kept in the system's credential store");
    return tr("tokens kept in %1 (readable only by you; %2)").arg(QDir::toNativeSeparators(filePath()),
                                                                    m_fallbackReason);
}

void TokenStore::fallBack(const QString &why)
{
    if (m_backend == Backend::File)
        return;
    m_backend = Backend::File;
    m_fallbackReason = why;
    log::get("app")->info("fleet view: {}", description());
}

QByteArray TokenStore::read(const QString &key)
{
    QByteArray token;
    if (m_backend == Backend::Keychain && keychainRead(key, &token))
        return token;
    // A token written to the file while the store was unavailable is still found later.
    return fileRead(key);
}

bool TokenStore::write(const QString &key, const QByteArray &token)
{
    m_error.clear();
    if (m_backend == Backend::Keychain && keychainWrite(key, token)) {
        if (!fileRead(key).isEmpty())
            fileWrite(key, {});   // not in two places
        return true;
    }
    return fileWrite(key, token);
}

bool TokenStore::keychainRead(const QString &key, QByteArray *token)
{
    QKeychain::ReadPasswordJob job(Service);
    job.setKey(key);
    QString message;
    const QKeychain::Error e = runJob(job, &message);
    m_asked = true;
    if (e == QKeychain::NoError) {
        *token = job.binaryData();
        return true;
    }
    if (e == QKeychain::EntryNotFound)
        return false;   // may be in the file from an earlier run without a store
    fallBack(storeMissing(message));
    return false;
}

bool TokenStore::keychainWrite(const QString &key, const QByteArray &token)
{
    QString message;
    QKeychain::Error e = QKeychain::NoError;
    if (token.isEmpty()) {
        QKeychain::DeletePasswordJob job(Service);
        job.setKey(key);
        e = runJob(job, &message);
        m_asked = true;
        if (e == QKeychain::EntryNotFound)
            return true;
    } else {
        QKeychain::WritePasswordJob job(Service);
        job.setKey(key);
        job.setBinaryData(token);
        e = runJob(job, &message);
    }
    m_asked = true;
    if (e == QKeychain::NoError)
        return true;
    fallBack(storeMissing(message));
    return false;
}

QByteArray TokenStore::fileRead(const QString &key) const
{
    QFile f(filePath());
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(key).toString().toUtf8();
}

bool TokenStore::fileWrite(const QString &key, const QByteArray &token)
{
    const QString path = filePath();
    QJsonObject all;
    {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            all = QJsonDocument::fromJson(f.readAll()).object();
    }
    if (token.isEmpty()) {
        if (!all.contains(key))
            return true;
        all.remove(key);
    } else {
        all.insert(key, QString::fromUtf8(token));
    }
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        m_error = tr("cannot create %1").arg(QFileInfo(path).absolutePath());
        return false;
    }
    // Created 0600 from the first byte (never readable by others, not even for a moment), then renamed over.
    const QString temp = path + QStringLiteral(".new");
    QFile::remove(temp);
    QFile f(temp);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || f.write(QJsonDocument(all).toJson()) < 0 || !f.flush()) {
        m_error = tr("cannot write %1: %2").arg(temp, f.errorString());
        return false;
    }
    f.close();
    QFile::remove(path);
    if (!QFile::rename(temp, path)) {
        m_error = tr("cannot rename %1 to %2").arg(temp, path);
        return false;
    }
    return true;
}

} // namespace iot
