// SPDX-License-Identifier: MIT
#pragma once

#include "mqtt/messagesource.h"
#include "pipeline/batch.h"
#include "pipeline/flushpolicy.h"
#include "pipeline/payloadcheck.h"
#include "spool/spoolstate.h"

#include <QObject>
#include <QTimer>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace iot {

class AlertFeed;
class BatchQueue;
class Spool;
struct PipelineCounters;

/// The ingest side: stamps each message with its receive time, appends it to the open batch and hands the batch to
/// the writer at batch_size or flush_interval; stops reading from the source while the buffer is at its limit
/// (or, while the spool's disk refuses records, while max_buffered_messages or max_buffered_mb are held in memory).
/// Lives on the ingest thread, together with the MessageSource it creates there in start().
class Batcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Batcher)
public:
    using SourceFactory = std::function<std::unique_ptr<MessageSource>()>;
    using Wake = std::function<void()>;

    /// What may be held in memory (the open batch, the queue, the writer's transaction), in messages and in
    /// Batch::memoryBytes(); whichever is reached first counts.
    struct Limits
    {
        std::size_t messages = 50000;
        std::size_t bytes = SIZE_MAX;
        /// Of `bytes`, kept free for the writer's copy of a transaction (its cap in bytes): while it copies batches
        /// off the queue, both copies exist.
        std::size_t reserveBytes = 0;
    };
    /// Past `limits`, with a spool, batches go to the writer as spilled ranges (read back from disk) and reading
    /// pauses only when the spool is full; without one, reading pauses.
    Batcher(SourceFactory factory, FlushPolicy policy, Limits limits, BatchQueue *queue, PipelineCounters *counters,
            Wake wakeWriter, Spool *spool = nullptr, int spoolSyncMs = 200);
    ~Batcher() override;

    /// Creates the source and starts it. Call on the ingest thread.
    void start();
    /// Stops reading, hands over the open batch and emits stopped() once the source has disconnected.
    void stop();
    /// Operator pause: stop reading (the broker holds messages meanwhile) until resumed.
    void setPaused(bool paused);
    /// Re-checks the buffer after the writer committed; resumes reading once below the low-water mark.
    void checkBuffer();
    void reconnectNow();
    /// The alerts' tap, offered every message before it is appended; set before start(). `check` is the
    /// writer's (max_payload_bytes): the feed validates each payload in the walk that reads the alert fields, and
    /// the batch marks the messages that passed so the writer does not walk them again (docs/benchmarks.md).
    void setAlertFeed(std::shared_ptr<AlertFeed> feed, PayloadCheck check = PayloadCheck());

Q_SIGNALS:
    void sourceStateChanged(const iot::MessageSource::StateInfo &info);
    void sourceError(const QString &message);
    void stopped();

private:
    void onMessage(QByteArrayView topic, QByteArrayView payload);
    void flush();
    void updateReading();
    bool overLimit() const;
    bool belowLowWater() const;
    void syncSpool();
    void recoverSpool();
    void noteSpoolState();
    std::size_t heldInMemory() const;
    std::size_t heldBytes() const;
    bool memoryAtLimit() const;
    std::string heldText() const;

    SourceFactory m_factory;
    FlushPolicy m_policy;
    std::size_t m_maxBuffered;
    std::size_t m_lowWater;
    std::size_t m_maxBytes;  // what the queue, the open batch and the writer may hold: the bound less the reserve
    std::size_t m_lowWaterBytes;
    std::size_t m_limitBytes;  // max_buffered_mb, for the log
    BatchQueue *m_queue;
    PipelineCounters *m_counters;
    Wake m_wakeWriter;
    std::unique_ptr<MessageSource> m_source;
    std::shared_ptr<AlertFeed> m_alertFeed;
    PayloadCheck m_check;   // with m_alertFeed: the writer's check, run by the feed
    Batch m_open;
    Spool *m_spool;
    std::uint64_t m_openSpoolStart = 0;  // spool position where the open batch's first record starts
    bool m_openAllSpooled = true;        // every message of the open batch is on disk (so it may be spilled)
    QTimer m_syncTimer;
    QTimer m_spoolRetryTimer;              // while the spool refuses records: try again every second
    SpoolState m_spoolState = SpoolState::Ok;
    std::int64_t m_spoolFailedAtUs = 0;
    std::uint64_t m_spoolStartAtFailure = 0;  // a release by the writer since then frees space: retry at once
    QTimer m_flushTimer;
    QTimer m_heartbeat;
    bool m_warnedRecordTooLarge = false;
    bool m_full = false;           // flow control: buffer at its limit
    bool m_operatorPaused = false;
    bool m_stopping = false;
};

} // namespace iot
