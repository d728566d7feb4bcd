// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <spdlog/spdlog.h>

#include <memory>

// `{}` for Qt strings in log calls, written as UTF-8; width and alignment specs work as for std::string.
template <>
struct fmt::formatter<QString> : fmt::formatter<fmt::string_view>
{
    template <typename FormatContext>
    auto format(const QString &text, FormatContext &ctx) const -> decltype(ctx.out())
    {
        const QByteArray utf8 = text.toUtf8();
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(utf8.constData(), size_t(utf8.size())), ctx);
    }
};

// Bytes are written as they are; payloads that are not UTF-8 come out escaped in JSON logs.
template <>
struct fmt::formatter<QByteArray> : fmt::formatter<fmt::string_view>
{
    template <typename FormatContext>
    auto format(const QByteArray &bytes, FormatContext &ctx) const -> decltype(ctx.out())
    {
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(bytes.constData(), size_t(bytes.size())), ctx);
    }
};

namespace iot::log {

// The named logger (app, engine, mqtt, db, qt, ...), created on first use. It writes to whatever sinks the latest
// Logging::install set up, also when fetched before that; thread-safe, so it may be kept in a member or a static.
std::shared_ptr<spdlog::logger> get(const char *name);

} // namespace iot::log
