// SPDX-License-Identifier: MIT
#include "logging/logging.h"

#include "logging/log.h"

#include <QFile>
#include <QStringList>
#include <QtGlobal>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace iot {

namespace {

using Level = spdlog::level::level_enum;

// Our names (those of logger.toml), not spdlog's "warning"/"error", so text and JSON logs say what config says.
std::string_view levelName(Level level)
{
    switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::err: return "error";
    case Level::critical: return "critical";
    case Level::off:
    case Level::n_levels: break;
    }
    return "off";
}

Level levelFromName(const QString &name)
{
    for (int i = Level::trace; i < Level::n_levels; ++i) {
        const std::string_view candidate = levelName(Level(i));
        if (name == QLatin1String(candidate.data(), qsizetype(candidate.size())))
            return Level(i);
    }
    return name == QStringLiteral("warning") ? Level::warn : Level::info;
}

void append(spdlog::memory_buf_t &dest, std::string_view text)
{
    dest.append(text.data(), text.data() + text.size());
}

// Length of the well-formed UTF-8 sequence at `i`, or 0 (overlongs, surrogates and stray bytes included).
size_t utf8SequenceLength(std::string_view text, size_t i)
{
    const auto byte = [&](size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u; };
    const auto continuation = [](unsigned c, unsigned low = 0x80, unsigned high = 0xBF) {
        return c >= low && c <= high;
    };
    const unsigned lead = byte(0);
    if (lead >= 0xC2 && lead <= 0xDF)
        return continuation(byte(1)) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;
        const unsigned high = lead == 0xED ? 0x9F : 0xBF;
        return continuation(byte(1), low, high) && continuation(byte(2)) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        const unsigned low = lead == 0xF0 ? 0x90 : 0x80;
        const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;
        return continuation(byte(1), low, high) && continuation(byte(2)) && continuation(byte(3)) ? 4 : 0;
    }
    return 0;
}

// JSON string literal; invalid UTF-8 (binary payloads in messages) becomes U+FFFD so every line stays parseable.
void appendJsonString(spdlog::memory_buf_t &dest, std::string_view text)
{
    static constexpr char Hex[] = "0123456789abcdef";
    dest.push_back('"');
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const size_t length = utf8SequenceLength(text, i);
            if (length == 0) {
                append(dest, "\\ufffd");
                ++i;
            } else {
                append(dest, text.substr(i, length));
                i += length;
            }
            continue;
        }
        switch (c) {
        case '"': append(dest, "\\\""); break;
        case '\\': append(dest, "\\\\"); break;
        case '\n': append(dest, "\\n"); break;
        case '\r': append(dest, "\\r"); break;
        case '\t': append(dest, "\\t"); break;
        case '\b': append(dest, "\\b"); break;
        case '\f': append(dest, "\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                append(dest, "\\u00");
                dest.push_back(Hex[c >> 4]);
                dest.push_back(Hex[c & 0xf]);
            } else {
                dest.push_back(char(c));
            }
        }
        ++i;
    }
    dest.push_back('"');
}

thread_local std::span<const log::Field> t_fields;

void appendFields(spdlog::memory_buf_t &dest)
{
    for (const log::Field &field : t_fields) {
        dest.push_back(',');
        appendJsonString(dest, field.key);
        dest.push_back(':');
        if (const auto *number = std::get_if<std::int64_t>(&field.value))
            fmt::format_to(std::back_inserter(dest), "{}", *number);
        else
            appendJsonString(dest, std::get<std::string>(field.value));
    }
}

/// One JSON object per line: {"ts","level","logger","msg"} plus the fields of log::withFields(), ts in UTC with
/// milliseconds.
/// Runs on whichever thread logs, under the sink's lock.
class JsonFormatter final : public spdlog::formatter
{
public:
    void format(const spdlog::details::log_msg &msg, spdlog::memory_buf_t &dest) override
    {
        using namespace std::chrono;
        const auto sinceEpoch = msg.time.time_since_epoch();
        const std::time_t seconds = duration_cast<std::chrono::seconds>(sinceEpoch).count();
        const auto millis = duration_cast<milliseconds>(sinceEpoch).count() % 1000;
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        fmt::format_to(std::back_inserter(dest), R"({{"ts":"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z","level":")",
                       utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
        append(dest, levelName(msg.level));
        append(dest, R"(","logger":)");
        appendJsonString(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        append(dest, R"(,"msg":)");
        appendJsonString(dest, std::string_view(msg.payload.data(), msg.payload.size()));
        appendFields(dest);
        append(dest, "}\n");
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

/// Pattern flag %k: our level name padded to five columns, so messages line up in text logs.
/// Runs on whichever thread logs, under the sink's lock.
class LevelFlag final : public spdlog::custom_flag_formatter
{
public:
    void format(const spdlog::details::log_msg &msg, const std::tm &, spdlog::memory_buf_t &dest) override
    {
        const std::string_view name = levelName(msg.level);
        append(dest, name);
        for (size_t i = name.size(); i < 5; ++i)
            dest.push_back(' ');
    }

    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelFlag>(); }
};

std::unique_ptr<spdlog::formatter> makeFormatter(LogConfig::Format format)
{
    if (format == LogConfig::Format::Json)
        return std::make_unique<JsonFormatter>();
    auto pattern = std::make_unique<spdlog::pattern_formatter>();
    pattern->add_flag<LevelFlag>('k').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%k%$ [%n] %v");
    return pattern;
}

spdlog::sink_ptr makeConsoleSink(LogConfig::Format format)
{
    // JSON goes to collectors that do not want colour escapes; text gets colour only on a terminal.
    spdlog::sink_ptr sink;
    if (format == LogConfig::Format::Json)
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    else
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
    sink->set_formatter(makeFormatter(format));
    return sink;
}

/// The distributing sink, which also masks the configured secrets in every message before any child sees it: the
/// last line of defence for text from libraries (a URL in a Qt network error, a server's message). Any thread,
/// under the sink's lock.
class ScrubbingSink final : public spdlog::sinks::dist_sink_mt
{
public:
    using spdlog::sinks::dist_sink_mt::dist_sink_mt;
    void setSecrets(std::vector<std::string> secrets)
    {
        std::lock_guard lock(mutex_);
        m_secrets = std::move(secrets);
    }

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override
    {
        std::string text;
        for (const std::string &secret : m_secrets) {
            const std::string_view current = text.empty() ? std::string_view(msg.payload.data(), msg.payload.size())
                                                          : std::string_view(text);
            if (current.find(secret) == std::string_view::npos)
                continue;
            std::string out;
            std::size_t at = 0;
            for (std::size_t hit; (hit = current.find(secret, at)) != std::string_view::npos; at = hit + secret.size())
                out.append(current.substr(at, hit - at)).append("********");
            out.append(current.substr(at));
            text = std::move(out);
        }
        if (text.empty()) {
            spdlog::sinks::dist_sink_mt::sink_it_(msg);
            return;
        }
        spdlog::details::log_msg copy = msg;
        copy.payload = spdlog::string_view_t(text.data(), text.size());
        spdlog::sinks::dist_sink_mt::sink_it_(copy);
    }

private:
    std::vector<std::string> m_secrets;  // longest first
};

/// Every logger writes into one distributing sink whose children install() swaps, so loggers fetched before
/// install() follow it; shared by all threads, guarded by `mutex` (the sink list by the sink's own lock).
struct State
{
    std::mutex mutex;
    std::shared_ptr<ScrubbingSink> sinks = std::make_shared<ScrubbingSink>(
        std::vector<spdlog::sink_ptr>{makeConsoleSink(LogConfig::Format::Text)});
    std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
    Level defaultLevel = Level::info;
    std::map<std::string, Level, std::less<>> overrides;
    bool processHooksInstalled = false;

    Level levelFor(std::string_view name) const
    {
        const auto it = overrides.find(name);
        return it != overrides.end() ? it->second : defaultLevel;
    }
};

State &state()
{
    // Leaked on purpose: Qt may still send messages from its own global destructors. stdio flushes the file at exit.
    static State *instance = new State;
    return *instance;
}

void qtMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    static const std::shared_ptr<spdlog::logger> logger = log::get("qt");
    Level level = Level::info;
    switch (type) {
    case QtDebugMsg: level = Level::debug; break;
    case QtInfoMsg: level = Level::info; break;
    case QtWarningMsg: level = Level::warn; break;
    case QtCriticalMsg: level = Level::err; break;
    case QtFatalMsg: level = Level::critical; break;
    }
    if (context.category && std::strcmp(context.category, "default") != 0)
        logger->log(level, "{}: {}", context.category, message);
    else
        logger->log(level, "{}", message);
    // Qt aborts right after a fatal message returns from here.
    if (type == QtFatalMsg)
        Logging::flush();
}

} // namespace

namespace log {

std::shared_ptr<spdlog::logger> get(const char *name)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (const auto it = s.loggers.find(std::string_view(name)); it != s.loggers.end())
        return it->second;
    auto logger = std::make_shared<spdlog::logger>(name, s.sinks);
    logger->set_level(s.levelFor(name));
    logger->flush_on(Level::warn);
    s.loggers.emplace(name, logger);
    return logger;
}

FieldScope::FieldScope(std::span<const Field> fields) : m_previous(t_fields)
{
    t_fields = fields;
}

FieldScope::~FieldScope()
{
    t_fields = m_previous;
}

std::span<const Field> FieldScope::current()
{
    return t_fields;
}

} // namespace log

Status Logging::install(const LogConfig &config)
{
    std::vector<spdlog::sink_ptr> sinks;
    QString problem;
    if (config.fileEnabled) {
        try {
            auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                QFile::encodeName(config.filePath).toStdString(), size_t(config.maxSizeMb) * 1024 * 1024,
                size_t(config.maxFiles));
            file->set_formatter(makeFormatter(config.format));
            sinks.push_back(std::move(file));
        } catch (const spdlog::spdlog_ex &e) {
            problem = config.filePath + QStringLiteral(": cannot open log file: ") + QString::fromLocal8Bit(e.what());
        }
    }
    // Without the file we still want to see why, and what happens next.
    if (config.consoleEnabled || !problem.isEmpty())
        sinks.insert(sinks.begin(), makeConsoleSink(config.format));

    State &s = state();
    {
        std::lock_guard lock(s.mutex);
        s.defaultLevel = levelFromName(config.level);
        s.overrides.clear();
        for (auto it = config.levels.cbegin(); it != config.levels.cend(); ++it)
            s.overrides.emplace(it.key().toStdString(), levelFromName(it.value()));
        for (const auto &[name, logger] : s.loggers)
            logger->set_level(s.levelFor(name));
    }
    s.sinks->set_sinks(std::move(sinks));

    qInstallMessageHandler(qtMessageHandler);
    bool firstInstall = false;
    {
        std::lock_guard lock(s.mutex);
        firstInstall = !std::exchange(s.processHooksInstalled, true);
    }
    if (firstInstall) {
        // spdlog::info() and friends from third-party code land in "app"; the registry's flusher thread bounds how
        // long an info line may sit in the file buffer.
        spdlog::set_default_logger(log::get("app"));
        spdlog::flush_every(std::chrono::seconds(1));
    }

    if (!problem.isEmpty())
        return Error{problem};
    return Ok{};
}

void Logging::installDefault()
{
    // The console-only config cannot fail.
    (void)install(LogConfig{});
}

void Logging::setSecrets(const QStringList &secrets)
{
    std::vector<std::string> out;
    for (const QString &secret : secrets)
        if (secret.size() >= 3)  // shorter ones would mangle every line and cannot be told from ordinary text
            out.push_back(secret.toStdString());
    std::sort(out.begin(), out.end(), [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    state().sinks->setSecrets(std::move(out));
}

void Logging::flush()
{
    state().sinks->flush();
}

} // namespace iot
