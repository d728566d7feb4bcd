// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

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

/// A structured field of one log line (topic, rows, error, ...): JSON logs write it as a top-level key after "msg";
/// text logs leave it out, their message says it in words. Keys are literals and never ts/level/logger/msg.
struct Field
{
    Field(const char *k, const QString &v) : key(k), value(v.toStdString()) {}
    Field(const char *k, QByteArrayView v) : key(k), value(std::string(v.data(), size_t(v.size()))) {}
    Field(const char *k, const char *v) : key(k), value(std::string(v)) {}
    template <typename T>
        requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
    Field(const char *k, T v) : key(k), value(static_cast<std::int64_t>(v))
    {
    }

    const char *key;
    std::variant<std::int64_t, std::string> value;
};

/// Makes `fields` part of every line this thread logs while the scope lives (the formatter runs on the logging
/// thread, synchronously). Use withFields() rather than this directly.
class FieldScope final
{
public:
    explicit FieldScope(std::span<const Field> fields);
    ~FieldScope();
    FieldScope(const FieldScope &) = delete;
    FieldScope &operator=(const FieldScope &) = delete;

    /// The fields of the innermost scope on this thread (empty outside any).
    static std::span<const Field> current();

private:
    std::span<const Field> m_previous;
};

/// logger.warn(...) with structured fields: log::withFields(*l, level::warn, {{"topic", t}, {"rows", n}}, "...", ...).
template <typename... Args>
void withFields(spdlog::logger &logger, spdlog::level::level_enum level, std::initializer_list<Field> fields,
                spdlog::format_string_t<Args...> format, Args &&...args)
{
    if (!logger.should_log(level))
        return;
    const FieldScope scope(std::span<const Field>(fields.begin(), fields.size()));
    logger.log(level, format, std::forward<Args>(args)...);
}

} // namespace iot::log
