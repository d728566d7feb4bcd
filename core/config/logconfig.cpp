// SPDX-License-Identifier: MIT
#include "config/logconfig.h"

#include "config/tomlreader.h"

#include <QFile>
#include <QFileInfo>

#include <array>
#include <string_view>

namespace iot {

namespace {

using namespace std::string_view_literals;

constexpr std::array RootKeys{"level"sv, "format"sv, "console"sv, "file"sv, "levels"sv};
constexpr std::array ConsoleKeys{"enabled"sv};
constexpr std::array FileKeys{"enabled"sv, "path"sv, "max_size_mb"sv, "max_files"sv};

std::optional<QString> readLevel(TomlReader &reader, const toml::node &node, const QString &key)
{
    if (const auto *text = node.as_string()) {
        const QString level = QString::fromStdString(text->get());
        if (LogConfig::levelNames().contains(level))
            return level;
        // spdlog's own spelling, accepted so that a level copied from its docs works
        if (level == QStringLiteral("warning"))
            return QStringLiteral("warn");
    }
    reader.failExpected(node, key, QStringLiteral("one of ") + LogConfig::levelNames().join(QStringLiteral(", ")));
    return std::nullopt;
}

} // namespace

QStringList LogConfig::levelNames()
{
    return {QStringLiteral("trace"), QStringLiteral("debug"), QStringLiteral("info"), QStringLiteral("warn"),
            QStringLiteral("error"), QStringLiteral("critical"), QStringLiteral("off")};
}

Result<LogConfig> LogConfig::loadFile(const QString &path)
{
    const QString prefix = path + QStringLiteral(": cannot read logging configuration: ");
    if (QFileInfo(path).isDir())
        return Error{prefix + QStringLiteral("is a directory")};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{prefix + file.errorString()};
    const QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error{prefix + file.errorString()};
    return loadString(data, path);
}

Result<LogConfig> LogConfig::loadString(const QByteArray &toml, const QString &sourceName)
{
    TomlReader reader(sourceName);
    if (!reader.parse(toml))
        return reader.error();

    LogConfig config;
    const toml::table &root = reader.root();
    reader.rejectUnknownKeys(root, QString(), RootKeys);
    if (const toml::node *node = root.get("level")) {
        if (auto v = readLevel(reader, *node, QStringLiteral("level")))
            config.level = *v;
    }
    if (auto v = reader.string(root, QString(), "format")) {
        if (*v == QStringLiteral("text"))
            config.format = Format::Text;
        else if (*v == QStringLiteral("json"))
            config.format = Format::Json;
        else
            reader.failExpected(*root.get("format"), QStringLiteral("format"), QStringLiteral("\"text\" or \"json\""));
    }

    const QString console = QStringLiteral("console");
    if (const toml::table *t = reader.table(root, QString(), "console")) {
        reader.rejectUnknownKeys(*t, console, ConsoleKeys);
        if (auto v = reader.boolean(*t, console, "enabled"))
            config.consoleEnabled = *v;
    }

    const QString file = QStringLiteral("file");
    if (const toml::table *t = reader.table(root, QString(), "file")) {
        reader.rejectUnknownKeys(*t, file, FileKeys);
        if (auto v = reader.boolean(*t, file, "enabled"))
            config.fileEnabled = *v;
        if (auto v = reader.string(*t, file, "path", true))
            config.filePath = *v;
        // spdlog keeps the size in a size_t, but a log file of more than a few GiB is a mistake
        if (auto v = reader.integer(*t, file, "max_size_mb", 1, 65536, QStringLiteral("an integer from 1 to 65536")))
            config.maxSizeMb = int(*v);
        if (auto v = reader.integer(*t, file, "max_files", 1, 1000, QStringLiteral("an integer from 1 to 1000")))
            config.maxFiles = int(*v);
    }

    // Logger names are not checked: each part of the program may add its own logger.
    if (const toml::table *t = reader.table(root, QString(), "levels")) {
        for (auto &&[key, value] : *t) {
            const QString name = QString::fromStdString(std::string(key.str()));
            if (auto v = readLevel(reader, value, TomlReader::keyPath(QStringLiteral("levels"), key.str())))
                config.levels.insert(name, *v);
        }
    }

    if (reader.failed())
        return reader.error();
    return config;
}

} // namespace iot
