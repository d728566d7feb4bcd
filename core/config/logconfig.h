// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

namespace iot {

/// What logger.toml asks for: level, text or JSON, console and rotating-file sinks, per-logger levels;
/// a plain value, loaded on the main thread before Logging::install applies it.
struct LogConfig
{
    Q_GADGET

public:
    enum class Format { Text, Json };
    Q_ENUM(Format)

    QString level = QStringLiteral("info");   // trace, debug, info, warn, error, critical, off
    Format format = Format::Text;
    bool consoleEnabled = true;               // stderr, so stdout stays free for --check-config output
    bool fileEnabled = false;
    QString filePath = QStringLiteral("iot-subscriber.log");
    int maxSizeMb = 10;                       // rotate at this size ...
    int maxFiles = 5;                         // ... keeping this many old files
    QMap<QString, QString> levels;            // logger name (app, engine, mqtt, db, qt, ...) -> level

    static Result<LogConfig> loadFile(const QString &path);
    static Result<LogConfig> loadString(const QByteArray &toml, const QString &sourceName);
    // The level names accepted in logger.toml, most verbose first.
    static QStringList levelNames();

    bool operator==(const LogConfig &) const = default;
};

} // namespace iot
