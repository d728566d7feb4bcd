// SPDX-License-Identifier: MIT
#include "guilogsink.h"

#include "logging/log.h"

#include <spdlog/sinks/dist_sink.h>

#include <chrono>

namespace iot {

GuiLogSink::GuiLogSink(std::function<void()> wake, int maxPerSecond, std::size_t capacity)
    : m_wake(std::move(wake)), m_maxPerSecond(maxPerSecond), m_capacity(capacity)
{
    set_level(spdlog::level::warn);
}

void GuiLogSink::sink_it_(const spdlog::details::log_msg &msg)
{
    using namespace std::chrono;
    const qint64 us = duration_cast<microseconds>(msg.time.time_since_epoch()).count();
    // A flood of warnings (say a dead-letter storm) must not flood the GUI thread: the file log has them all.
    if (us / 1000000 != m_second) {
        m_second = us / 1000000;
        m_inSecond = 0;
    }
    if (++m_inSecond > m_maxPerSecond) {
        ++m_suppressed;
        return;
    }
    LogLine line;
    line.timeUs = us;
    line.level = int(msg.level);
    line.logger = QString::fromUtf8(msg.logger_name.data(), qsizetype(msg.logger_name.size()));
    line.text = QString::fromUtf8(msg.payload.data(), qsizetype(msg.payload.size()));
    m_lines.push_back(std::move(line));
    while (m_lines.size() > m_capacity) {
        m_lines.pop_front();
        ++m_suppressed;
    }
    if (!m_woken && m_wake) {
        m_woken = true;
        m_wake();
    }
}

std::deque<LogLine> GuiLogSink::take(quint64 *suppressed)
{
    std::lock_guard lock(mutex_);
    std::deque<LogLine> out;
    out.swap(m_lines);
    if (suppressed)
        *suppressed = std::exchange(m_suppressed, 0);
    m_woken = false;
    return out;
}

bool GuiLogSink::attach(const std::shared_ptr<GuiLogSink> &sink)
{
    // Every logger writes into the one distributing sink that Logging::install() fills (core/logging/logging.cpp);
    // adding ours there reaches loggers created later too.
    const auto &sinks = log::get("app")->sinks();
    if (sinks.empty())
        return false;
    auto dist = std::dynamic_pointer_cast<spdlog::sinks::dist_sink_mt>(sinks.front());
    if (!dist)
        return false;
    dist->add_sink(sink);
    return true;
}

void GuiLogSink::detach(const std::shared_ptr<GuiLogSink> &sink)
{
    const auto &sinks = log::get("app")->sinks();
    if (sinks.empty())
        return;
    if (auto dist = std::dynamic_pointer_cast<spdlog::sinks::dist_sink_mt>(sinks.front()))
        dist->remove_sink(sink);
}

} // namespace iot
