// SPDX-License-Identifier: MIT
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <QString>

#include <deque>
#include <functional>
#include <mutex>

namespace iot {

/// One warning or error line for the log pane.
struct LogLine
{
    qint64 timeUs = 0;
    int level = 0;          // spdlog::level::level_enum
    QString logger;
    QString text;
};

/// An spdlog sink that keeps warnings and errors for the desktop's log pane: called on whichever thread logs,
/// it only appends to a bounded buffer (at most `maxPerSecond` lines a second, the rest counted) and pokes the GUI
/// once per batch through `wake`. The GUI thread takes the lines with take().
class GuiLogSink final : public spdlog::sinks::base_sink<std::mutex>
{
public:
    explicit GuiLogSink(std::function<void()> wake, int maxPerSecond = 50, std::size_t capacity = 1000);

    /// Moves out what arrived since the last call; `suppressed` gets how many lines the rate limit dropped.
    std::deque<LogLine> take(quint64 *suppressed = nullptr);

    /// Adds this sink beside the process's log sinks (all loggers share one distributing sink); false if the
    /// logging set-up is not the expected one. remove() undoes it; call both on the GUI thread.
    static bool attach(const std::shared_ptr<GuiLogSink> &sink);
    static void detach(const std::shared_ptr<GuiLogSink> &sink);

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override;
    void flush_() override {}

private:
    std::function<void()> m_wake;
    const int m_maxPerSecond;
    const std::size_t m_capacity;
    std::deque<LogLine> m_lines;
    qint64 m_second = 0;
    int m_inSecond = 0;
    quint64 m_suppressed = 0;
    bool m_woken = false;
};

} // namespace iot
