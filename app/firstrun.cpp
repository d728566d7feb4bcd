// SPDX-License-Identifier: MIT
#include "firstrun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>
#include <QStringList>

#include <utility>

namespace iot {

namespace {

// A TOML basic string; paths never hold control characters, but Windows paths may hold backslashes.
QString tomlString(QString s)
{
    s.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

} // namespace

FirstRun FirstRun::forCurrentUser()
{
    return FirstRun(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation),
                    QStandardPaths::writableLocation(QStandardPaths::AppDataLocation));
}

FirstRun::FirstRun(QString configDir, QString dataDir) : m_configDir(std::move(configDir)), m_dataDir(std::move(dataDir))
{
}

QString FirstRun::configFile() const { return m_configDir + QStringLiteral("/config.toml"); }
QString FirstRun::databaseFile() const { return m_dataDir + QStringLiteral("/iot-subscriber.sqlite"); }
QString FirstRun::spoolDir() const { return m_dataDir + QStringLiteral("/spool"); }

Result<FirstRun::Outcome> FirstRun::ensureConfig() const
{
    // Without HOME, QStandardPaths has nowhere to point; main then falls back to the built-in defaults.
    if (m_configDir.isEmpty() || m_dataDir.isEmpty() || QDir::isRelativePath(m_configDir))
        return Error{QStringLiteral("no per-user configuration directory (is HOME set?)")};
    const QString file = configFile();
    if (QFileInfo::exists(file))
        return Outcome{file, false};
    for (const QString &dir : {m_configDir, m_dataDir}) {
        if (!QDir().mkpath(dir))
            return Error{QStringLiteral("cannot create the directory %1").arg(dir)};
    }
    QSaveFile out(file);  // written whole or not at all, so a crash never leaves half a config behind
    if (!out.open(QIODevice::WriteOnly) || out.write(defaultConfigText()) < 0 || !out.commit())
        return Error{QStringLiteral("cannot write %1: %2").arg(file, out.errorString())};
    // It may come to hold the broker and database passwords.
    QFile::setPermissions(file, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return Outcome{file, true};
}

QByteArray FirstRun::defaultConfigText() const
{
    QFile f(QStringLiteral(":/iot/firstrun/config.toml"));
    const bool opened = f.open(QIODevice::ReadOnly);
    Q_ASSERT(opened);  // compiled in (app/CMakeLists.txt)
    Q_UNUSED(opened);
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));

    QStringList out{
        QStringLiteral("# Created by iot-subscriber at its first start without --config; it reads this file at every"),
        QStringLiteral("# start without --config. Edit it freely; `iot-subscriber --check-config` validates it."),
        QStringLiteral("# The SQLite database and the spool live in %1.").arg(m_dataDir),
        QStringLiteral("#"),
    };
    // `key = "value"   # comment` with the value replaced and the comment kept.
    static const QRegularExpression keyValue(QStringLiteral(R"re(^(\s*)([A-Za-z_]+)(\s*=\s*)"[^"]*"(.*)$)re"));
    QString section;
    for (const QString &line : lines) {
        if (line.startsWith(QStringLiteral("# SPDX-License-Identifier")))
            continue;
        const QString trimmed = line.trimmed();
        if (trimmed.startsWith(QLatin1Char('[')))
            section = trimmed.mid(1, trimmed.indexOf(QLatin1Char(']')) - 1).trimmed();
        const QRegularExpressionMatch m = keyValue.match(line);
        QString value;
        if (m.hasMatch() && section == QStringLiteral("database") && m.captured(2) == QStringLiteral("path"))
            value = databaseFile();
        else if (m.hasMatch() && section == QStringLiteral("spool") && m.captured(2) == QStringLiteral("dir"))
            value = spoolDir();
        out << (value.isEmpty() ? line : m.captured(1) + m.captured(2) + m.captured(3) + tomlString(value) + m.captured(4));
    }
    return out.join(QLatin1Char('\n')).toUtf8();
}

} // namespace iot
