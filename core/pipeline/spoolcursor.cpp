// SPDX-License-Identifier: MIT
#include "pipeline/spoolcursor.h"

#include "logging/log.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"

#include <algorithm>
#include <iterator>

namespace iot {
namespace {

auto logger()
{
    static auto l = log::get("db");
    return l;
}

} // namespace

SpoolCursor::SpoolCursor(Spool *spool, std::uint64_t replayTo, PipelineCounters *counters)
    : m_spool(spool), m_counters(counters), m_replayTo(replayTo)
{
}

QString SpoolCursor::spoolId() const
{
    return m_spool ? QString::fromLatin1(m_spool->id().id) : QString();
}

void SpoolCursor::noteInDoubt(std::uint64_t checkpoint)
{
    if (checkpoint > m_committed)
        m_inDoubt = checkpoint;
}

void SpoolCursor::adopt(const CheckpointClaim &claim)
{
    if (!m_spool)
        return;
    const bool found = claim.kind == CheckpointClaim::Kind::Found;
    if (m_replayPlanned) {
        // A reconnection. Only this process writes this spool's row (the lock says so), so the row is either what
        // we last committed or the write that was in doubt when the connection went. Anything else is someone
        // else's doing (a restored backup, a hand edit, a second instance the database could not lock out): taking
        // it would drop our pending rows as committed and release segments we still need.
        if (found && claim.position == m_inDoubt && m_inDoubt > m_committed) {
            m_committed = m_inDoubt;
        } else if (!found || claim.position != m_committed) {
            logger()->warn("the database's checkpoint for spool {} ({}) is not one this process wrote (committed "
                           "{}, in doubt {}): ignored, writing goes on from {}",
                           m_spool->id().id.constData(),
                           found ? QByteArray::number(qulonglong(claim.position)).constData() : "no row", m_committed,
                           m_inDoubt, m_committed);
        }
        m_inDoubt = 0;
        return;
    }
    m_replayPlanned = true;
    const SpoolId &id = m_spool->id();
    std::uint64_t committed = found ? claim.position : 0;
    if (claim.takenOver)
        logger()->warn("spool {} predates spool ids: took over its client id's checkpoint row (position {}) from "
                       "the old table iot_subscriber_checkpoints",
                       id.id.constData(), committed);
    if (committed > m_replayTo) {
        // Positions restart at 0 in a new spool directory: a checkpoint beyond this one's end is not about it.
        logger()->warn("the database's checkpoint for spool {} ({}) is beyond this spool's end ({}): ignored, "
                       "replaying everything the spool holds",
                       id.id.constData(), committed, m_replayTo);
        committed = 0;
    }
    if (!found && m_spool->startPosition() < m_replayTo)
        // The stated rule for a database that has never seen this spool (a new database, a replaced or damaged
        // spool id): replay what the spool holds. Rows an earlier id committed may be stored twice; none is lost.
        logger()->warn("the database has no checkpoint for spool {} (a new database, or a new or replaced spool "
                       "directory{}): replaying everything the spool holds, positions {} to {}",
                       id.id.constData(), id.origin == SpoolId::Origin::Damaged ? "; its SPOOL_ID was damaged" : "",
                       m_spool->startPosition(), m_replayTo);
    m_committed = committed;
    m_replayFrom = std::max(m_committed, m_spool->startPosition());
    if (m_replayFrom < m_replayTo)
        logger()->info("replaying the spool from position {} to {}: messages received before the last stop "
                       "but not committed",
                       m_replayFrom, m_replayTo);
    else
        m_replayFrom = m_replayTo;
}

void SpoolCursor::commit(std::uint64_t checkpoint)
{
    if (!m_spool || !checkpoint)
        return;
    m_committed = std::max(m_committed, checkpoint);
    if (m_inDoubt <= m_committed)
        m_inDoubt = 0;
    m_spool->release(m_committed);
}

void SpoolCursor::dropCommitted(std::deque<WriteSet> &pieces) const
{
    // A commit whose acknowledgement was lost with the connection did happen if the checkpoint says so: those rows
    // must not be written twice.
    std::size_t written = 0, dead = 0;
    const auto done = [this](std::uint64_t end) { return end != 0 && end <= m_committed; };
    for (auto it = pieces.begin(); it != pieces.end();) {
        const Batch &b = *it->batch;
        const auto g =
            std::remove_if(it->good.begin(), it->good.end(), [&](std::uint32_t i) { return done(b.spoolEnd(i)); });
        written += static_cast<std::size_t>(it->good.end() - g);
        it->good.erase(g, it->good.end());
        const auto dl = std::remove_if(it->dead.begin(), it->dead.end(),
                                       [&](const WriteSet::DeadLetter &x) { return done(b.spoolEnd(x.row)); });
        dead += static_cast<std::size_t>(it->dead.end() - dl);
        it->dead.erase(dl, it->dead.end());
        it = it->rows() == 0 ? pieces.erase(it) : std::next(it);
    }
    if (written + dead == 0)
        return;
    m_counters->written.fetch_add(written, std::memory_order_relaxed);
    m_counters->deadLettered.fetch_add(dead, std::memory_order_relaxed);
    logger()->info("{} rows were committed just before the connection was lost; not writing them again",
                   written + dead);
}

bool SpoolCursor::read(Batch &into, std::uint64_t from, std::uint64_t to, std::size_t max, std::size_t maxBytes,
                       std::uint64_t &next)
{
    const Spool::ReadResult r = m_spool->read(from, to, max, into, maxBytes);
    next = r.next;
    if (r.damagedBytes) {
        m_counters->spoolDamagedBytes.fetch_add(r.damagedBytes, std::memory_order_relaxed);
        logger()->error("spool damage: {} bytes between positions {} and {} could not be read", r.damagedBytes,
                        from, to);
    }
    return r.records > 0;
}

bool SpoolCursor::replay(Batch &into, std::size_t max, std::size_t maxBytes)
{
    if (!m_spool || m_replayFrom >= m_replayTo)
        return false;
    std::uint64_t next = m_replayTo;
    const bool got = read(into, m_replayFrom, m_replayTo, max, maxBytes, next);
    m_replayFrom = got ? next : m_replayTo;
    m_counters->replayed.fetch_add(into.size(), std::memory_order_relaxed);
    return got;
}

void SpoolCursor::readBack(const Batch::Spill &sp, Batch &into, std::size_t max, std::size_t maxBytes,
                           BatchQueue &queue)
{
    std::uint64_t next = sp.to;
    read(into, sp.from, sp.to, std::min(max, sp.count), maxBytes, next);
    const std::size_t got = into.size();
    if (got < sp.count && next < sp.to) {
        queue.pushFront(Batch::spilled({next, sp.to, sp.count - got}));
    } else if (got < sp.count) {
        // The disk lost them (damage found while reading back): counted, never silent.
        m_counters->drop(Reasons::Drop::SpoolUnreadable, sp.count - got);
        logger()->error("{} spilled messages could not be read back from the spool and are lost", sp.count - got);
    }
}

} // namespace iot
