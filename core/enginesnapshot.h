// SPDX-License-Identifier: MIT
#pragma once

#include "mqtt/messagesource.h"
#include "pipeline/batchwriter.h"
#include "pipeline/countertable.h"
#include "pipeline/reasons.h"
#include "spool/spoolstate.h"

#include <QList>
#include <QMetaType>
#include <QString>

#include <array>

namespace iot {

/// One [[alerts]] rule in a snapshot: how many of its instances (topics; 1 for pipeline rules) are firing.
struct AlertRuleStatus
{
    QString rule;
    QString severity;
    int firing = 0;
    bool operator==(const AlertRuleStatus &) const = default;
};

/// Everything an observer (GUI, headless log line, metrics) needs, copied at one instant; immutable once emitted.
struct EngineSnapshot
{
    qint64 takenAtUs = 0;
    qint64 startedAtUs = 0;

    MessageSource::StateInfo mqtt;  // the latest state each side reported, with since, attempt, next try, cause
    BatchWriter::StateInfo db;

    // received, written, deadLettered, dropped, ... (core/pipeline/countertable.h), copied from PipelineCounters.
#define IOT_COUNTER_VALUE(member, ...) quint64 member = 0;
    IOT_COUNTERS(IOT_COUNTER_VALUE)
#undef IOT_COUNTER_VALUE
    std::array<quint64, Reasons::DeadLetterCount> deadLetteredBy{};  // by Reasons::DeadLetter
    std::array<quint64, Reasons::DropCount> droppedBy{};             // by Reasons::Drop
    quint64 inFlight = 0;        // the balance's In terms − its Out terms: received, not yet accounted for
    quint64 queued = 0;          // of those, handed to the writer and waiting
    quint64 maxBuffered = 0;
    quint64 bufferedBytes = 0;      // memory the queued batches and the writer's transaction hold (max_buffered_mb)
    quint64 maxBufferedBytes = 0;
    bool readingPaused = false;
    bool spoolEnabled = false;
    quint64 spoolBytes = 0;      // on disk and not yet released, read from the Spool when the snapshot is taken
    quint64 spoolMaxBytes = 0;
    SpoolState spoolState = SpoolState::Ok;  // not Ok: new messages are held in memory only
    bool operatorPaused = false;

    QList<AlertRuleStatus> alerts;  // one per [[alerts]] rule, in config order (empty without rules)
    quint64 alertSamplesDropped = 0;     // samples the alert queue refused (full)
    quint64 alertValuesUnreadable = 0;   // messages of a value rule's topic whose field was missing or not a number
    quint64 alertTopicsUntracked = 0;    // topics beyond max_topics_per_rule

    double receivedPerSec = 0;
    double writtenPerSec = 0;
    qint64 lastCommitUs = 0;
    qint64 lastCommitLatencyUs = 0;
    qint64 ingestHeartbeatUs = 0;   // last turn of the ingest / writer event loops (0: not started)
    qint64 writerHeartbeatUs = 0;

    quint64 &operator[](Counter c);
    quint64 operator[](Counter c) const;

    /// The sum of the balance's In (or Out) terms of CounterTable; Out includes inFlight.
    quint64 balanceIn() const;
    quint64 balanceOut() const;
    /// "received 1000 = written 990 + dead-lettered 5 + dropped 0 + in flight 5"; "+ replayed N" and
    /// "+ deduplicated N" join their side when non-zero. `number` formats the counts (default: plain digits).
    QString balanceText(QString (*number)(quint64) = nullptr) const;
    /// The periodic progress log line (stats_log_interval_sec), the same in both front ends:
    /// "received 1000 (950/s), written 990 (940/s), dead-lettered 5, dropped 0, in flight 5; mqtt connected, ...".
    /// The rates are what happened since `previous` (the snapshot of the last line; a default-constructed one:
    /// since the engine started), not the smoothed rates the window draws.
    QString progressText(const EngineSnapshot &previous) const;
};

/// EngineSnapshot's member for each row of CounterTable.
inline constexpr std::array<quint64 EngineSnapshot::*, CounterCount> SnapshotCounterMembers{
#define IOT_COUNTER_MEMBER(member, ...) &EngineSnapshot::member,
    IOT_COUNTERS(IOT_COUNTER_MEMBER)
#undef IOT_COUNTER_MEMBER
};

inline quint64 &EngineSnapshot::operator[](Counter c)
{
    return this->*SnapshotCounterMembers[std::size_t(c)];
}

inline quint64 EngineSnapshot::operator[](Counter c) const
{
    return this->*SnapshotCounterMembers[std::size_t(c)];
}

} // namespace iot

Q_DECLARE_METATYPE(iot::EngineSnapshot)
