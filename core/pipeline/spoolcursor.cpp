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

void SpoolCursor::adopt(std::uint64_t committed)
{
    if (!m_spool)
        return;
    if (!m_committedThisRun && committed > m_replayTo) {
        // Positions restart at 0 in a new spool directory; a checkpoint from an older one means nothing here.
        logger()->warn("the database's spool checkpoint ({}) is beyond this spool's end ({}): the spool directory "
                       "was replaced; ignoring the old checkpoint",
                       committed, m_replayTo);
        committed = 0;
    }
    m_committed = std::max(m_committed, committed);
    if (m_replayPlanned)
        return;
    m_replayPlanned = true;
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
    m_committedThisRun = true;
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
