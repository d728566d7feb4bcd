// SPDX-License-Identifier: MIT
#pragma once

#include "mqtt/messagesource.h"
#include "pipeline/batchwriter.h"
#include "pipeline/reasons.h"
#include "spool/spoolstate.h"

#include <QMetaType>
#include <QString>

#include <array>

namespace iot {

/// Everything an observer (GUI, headless log line, metrics) needs, copied at one instant; immutable once emitted.
struct EngineSnapshot
{
    qint64 takenAtUs = 0;
    qint64 startedAtUs = 0;

    MessageSource::StateInfo mqtt;  // the latest state each side reported, with since, attempt, next try, cause
    BatchWriter::StateInfo db;

    quint64 received = 0;
    quint64 replayed = 0;        // read back from the spool after a restart
    quint64 written = 0;
    quint64 deadLettered = 0;
    quint64 deduplicated = 0;    // mapped rows skipped by a unique key (already stored)
    std::array<quint64, Reasons::DeadLetterCount> deadLetteredBy{};  // by Reasons::DeadLetter
    std::array<quint64, Reasons::DropCount> droppedBy{};             // by Reasons::Drop
    quint64 dropped = 0;
    quint64 inFlight = 0;        // received + replayed − written − deduplicated − dead-lettered − dropped
    quint64 queued = 0;          // of those, handed to the writer and waiting
    quint64 maxBuffered = 0;
    quint64 transactions = 0;
    quint64 writeFailures = 0;
    quint64 mqttReconnects = 0;
    quint64 dbReconnects = 0;
    quint64 readPauses = 0;
    bool readingPaused = false;
    bool spoolEnabled = false;
    quint64 spoolBytes = 0;      // on disk and not yet released, read from the Spool when the snapshot is taken
    quint64 spoolMaxBytes = 0;
    quint64 spoolDamagedBytes = 0;
    quint64 spoolWriteErrors = 0;    // messages the spool refused (held in memory only)
    quint64 spoolSyncErrors = 0;     // failed fdatasync calls
    SpoolState spoolState = SpoolState::Ok;  // not Ok: new messages are held in memory only
    bool operatorPaused = false;

    double receivedPerSec = 0;
    double writtenPerSec = 0;
    qint64 lastCommitUs = 0;
    qint64 lastCommitLatencyUs = 0;
    qint64 ingestHeartbeatUs = 0;   // last turn of the ingest / writer event loops (0: not started)
    qint64 writerHeartbeatUs = 0;

    /// "received 1000 = written 990 + dead-lettered 5 + dropped 0 + in flight 5"; "+ replayed N" and
    /// "+ deduplicated N" join their side when non-zero.
    QString balanceText() const;
    /// The periodic progress log line (stats_log_interval_sec), the same in both front ends:
    /// "received 1000 (950/s), written 990 (940/s), dead-lettered 5, dropped 0, in flight 5; mqtt connected, ...".
    /// The rates are what happened since `previous` (the snapshot of the last line; a default-constructed one:
    /// since the engine started), not the smoothed rates the window draws.
    QString progressText(const EngineSnapshot &previous) const;
};

} // namespace iot

Q_DECLARE_METATYPE(iot::EngineSnapshot)
