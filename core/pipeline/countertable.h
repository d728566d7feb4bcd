// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>

namespace iot {

/// The engine's monotonic counters, listed once. Each row becomes a member of PipelineCounters (an atomic, written by
/// one thread) and of EngineSnapshot (a copy); the snapshot, the Prometheus metrics, the GUI counters panel, the
/// progress line and the balance all read CounterTable rather than naming the counters again.
///
/// X(member, words, side, progress, metric, label, help)
///   words:    how the balance, the progress line and the GUI name it ("dead-lettered")
///   side:     In / Out of the balance "received = written + ... + in flight", or None; Optional* terms show only
///             when non-zero
///   progress: Count / CountAndRate in the periodic progress line, or Not
///   metric:   the Prometheus name after "iot_subscriber_" ("": not exported)
///   label:    Plain; Target*: one series of a family with a `target` label; ByDeadLetter / ByDrop: the family is
///             labelled by Reasons (the snapshot's deadLetteredBy / droppedBy), the member is their sum
#define IOT_COUNTERS(X)                                                                                                \
    X(received, "received", In, CountAndRate, "messages_received_total", Plain, "MQTT messages received.")             \
    X(replayed, "replayed", OptionalIn, Not, "messages_replayed_total", Plain,                                          \
      "Messages read back from the disk spool after a restart (not counted as received).")                            \
    X(written, "written", Out, CountAndRate, "rows_written_total", Plain, "Rows committed to the readings table.")     \
    X(deduplicated, "deduplicated", OptionalOut, Not, "rows_deduplicated_total", Plain,                                \
      "Mapped rows skipped because their unique key was already stored (redeliveries).")                              \
    X(deadLettered, "dead-lettered", Out, Count, "dead_letters_total", ByDeadLetter,                                   \
      "Messages stored in the dead-letter table instead of a readings table, by reason.")                             \
    X(dropped, "dropped", Out, Count, "messages_dropped_total", ByDrop,                                                \
      "Messages given up on, by reason: not committed at a shutdown that timed out (without a spool), unreadable "    \
      "when read back from the spool, or dead letters the database refused.")                                         \
    X(transactions, "transactions", None, Not, "", Plain, "Committed write transactions.")                            \
    X(writeFailures, "write failures", None, Not, "write_failures_total", Plain,                                       \
      "Write transactions that failed and were retried or split.")                                                    \
    X(mqttReconnects, "MQTT reconnects", None, Not, "reconnects_total", TargetMqtt,                                    \
      "Connections re-established after a loss, by target.")                                                          \
    X(dbReconnects, "database reconnects", None, Not, "reconnects_total", TargetDatabase,                              \
      "Connections re-established after a loss, by target.")                                                          \
    X(readPauses, "buffer-full pauses", None, Not, "", Plain,                                                          \
      "Times reading stopped because the buffer or spool was full.")                                                  \
    X(spoolDamagedBytes, "damaged spool bytes", None, Not, "", StartUpOnly,                                            \
      "Spool bytes skipped at start-up or replay: checksum or framing damage.")                                       \
    X(spoolWriteErrors, "spool write errors", None, Not, "spool_write_errors_total", Plain,                            \
      "Messages the spool could not write (disk full, I/O error, too large): held in memory only.")                   \
    X(spoolSyncErrors, "spool sync errors", None, Not, "spool_sync_errors_total", Plain,                               \
      "Failed fdatasync calls on the spool.")

/// One row of IOT_COUNTERS.
struct CounterInfo
{
    enum class Side { None, In, OptionalIn, Out, OptionalOut };
    enum class Progress { Not, Count, CountAndRate };
    /// How the metric is labelled; StartUpOnly: found again by every engine (not summed over restarts, no metric).
    enum class Label { Plain, TargetMqtt, TargetDatabase, ByDeadLetter, ByDrop, StartUpOnly };

    const char *key = "";     // the member's name: "deadLettered" (also the GUI's object name for its value)
    const char *words = "";   // "dead-lettered"
    Side side = Side::None;
    Progress progress = Progress::Not;
    const char *metric = "";  // "" : not exported
    Label label = Label::Plain;
    const char *help = "";

    bool sumsOverRestarts() const { return label != Label::StartUpOnly; }
};

/// Indexes into CounterTable, in the order of IOT_COUNTERS.
enum class Counter : std::size_t {
#define IOT_COUNTER_ENUM(member, ...) member,
    IOT_COUNTERS(IOT_COUNTER_ENUM)
#undef IOT_COUNTER_ENUM
        Count
};
constexpr std::size_t CounterCount = std::size_t(Counter::Count);

inline constexpr std::array<CounterInfo, CounterCount> CounterTable{{
#define IOT_COUNTER_INFO(member, words, side, progress, metric, label, help)                                           \
    {#member, words, CounterInfo::Side::side, CounterInfo::Progress::progress, metric, CounterInfo::Label::label, help},
    IOT_COUNTERS(IOT_COUNTER_INFO)
#undef IOT_COUNTER_INFO
}};

} // namespace iot
