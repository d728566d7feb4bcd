// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/batch.h"
#include "storage/sqlsink.h"

#include <cstddef>
#include <cstdint>
#include <deque>

namespace iot {

class BatchQueue;
class Spool;
struct PipelineCounters;

/// The writer's side of the spool: the checkpoint the database is known to have committed, the replay of what was
/// received before this start but never committed, and spilled ranges read back from disk. Without a spool it
/// stands for nothing (every call a no-op). Lives on the writer thread, owned by BatchWriter.
class SpoolCursor final
{
public:
    /// `replayTo`: where the spool ended when it was opened.
    SpoolCursor(Spool *spool, std::uint64_t replayTo, PipelineCounters *counters);

    bool enabled() const { return m_spool != nullptr; }
    /// The spool position up to which the database holds every row (0: none known).
    std::uint64_t committed() const { return m_committed; }
    /// The spool directory's id (SpoolId), which keys its checkpoint row.
    QString spoolId() const;
    /// Takes what the database holds for this spool at a (re)connection. The first one plans the replay (none:
    /// everything the spool holds; beyond this spool's end: ignored). Later ones never raise the committed
    /// position above what this process wrote: the database's word is taken only to settle the one write whose
    /// outcome is in doubt (noteInDoubt); anything else is logged and ignored.
    void adopt(const CheckpointClaim &claim);
    /// A write carrying `checkpoint` failed; with the connection lost, it may still have committed.
    void noteInDoubt(std::uint64_t checkpoint);
    /// Takes out of `pieces` the rows the committed checkpoint covers, counting them as written (or dead-lettered):
    /// a commit whose reply was lost with the connection did happen, and its rows must not be written twice.
    void dropCommitted(std::deque<WriteSet> &pieces) const;
    /// A transaction with `checkpoint` committed: segments wholly before it are released.
    void commit(std::uint64_t checkpoint);
    /// Whether the replay has more to read: the writer keeps draining without waiting for a new batch.
    bool replayPending() const { return m_spool && m_replayFrom < m_replayTo; }
    /// Up to `max` messages (and about `maxBytes` of Batch::memoryBytes(), at least one message) of the replay into
    /// `into`; false once there is nothing (readable) left to replay.
    bool replay(Batch &into, std::size_t max, std::size_t maxBytes = SIZE_MAX);
    /// Reads a spilled run back into `into`, up to `max` messages and `maxBytes` as for replay(); what is left goes
    /// back to the head of `queue`.
    void readBack(const Batch::Spill &spill, Batch &into, std::size_t max, std::size_t maxBytes, BatchQueue &queue);

private:
    bool read(Batch &into, std::uint64_t from, std::uint64_t to, std::size_t max, std::size_t maxBytes,
              std::uint64_t &next);

    Spool *m_spool;
    PipelineCounters *m_counters;
    std::uint64_t m_replayFrom = 0;
    std::uint64_t m_replayTo = 0;
    bool m_replayPlanned = false;
    std::uint64_t m_committed = 0;
    std::uint64_t m_inDoubt = 0;
};

} // namespace iot
