// SPDX-License-Identifier: MIT
#include "fakesink.h"

#include "fakemessagesource.h"

#include <chrono>

namespace iot::test {
namespace {

// A hang that nobody releases (a test that failed half-way) ends by itself, so the writer thread can be joined.
constexpr auto LongestHang = std::chrono::seconds(30);

} // namespace

void FakeDatabase::refuseRowsContaining(QByteArray marker, QByteArray sqlstate, FailureClass failure)
{
    const std::lock_guard lock(m_mutex);
    m_marker = std::move(marker);
    m_markerCode = std::move(sqlstate);
    m_markerFailure = failure;
}

void FakeDatabase::refuseEveryRow(bool on, QByteArray sqlstate, FailureClass failure)
{
    const std::lock_guard lock(m_mutex);
    m_refuseAll = on;
    m_refuseAllCode = std::move(sqlstate);
    m_refuseAllFailure = failure;
}

void FakeDatabase::failOpens(int n, bool fatal)
{
    const std::lock_guard lock(m_mutex);
    m_failOpens = n;
    m_fatalOpen = fatal;
}

void FakeDatabase::failWrites(int n, FailureClass failure, QByteArray code)
{
    const std::lock_guard lock(m_mutex);
    m_failWrites = n;
    m_writeFailure = failure;
    m_writeFailureCode = std::move(code);
}

void FakeDatabase::loseNextCommitReply()
{
    const std::lock_guard lock(m_mutex);
    m_loseReply = true;
}

void FakeDatabase::hang(bool on)
{
    {
        const std::lock_guard lock(m_mutex);
        m_hung = on;
    }
    m_released.notify_all();
}

bool FakeDatabase::waitWhileHung(std::unique_lock<std::mutex> &lock, const std::atomic<bool> &interrupted)
{
    m_waiting = m_hung;
    m_released.wait_for(lock, LongestHang, [&] { return !m_hung || interrupted; });
    m_waiting = false;
    return !interrupted;
}

void FakeDatabase::wakeWaiters()
{
    const std::lock_guard lock(m_mutex);
    m_released.notify_all();
}

std::vector<QByteArray> FakeDatabase::payloads() const
{
    const std::lock_guard lock(m_mutex);
    std::vector<QByteArray> out;
    out.reserve(m_rows.size());
    for (const Row &r : m_rows)
        out.push_back(r.payload);
    return out;
}

QList<int> FakeDatabase::storedSeqs() const
{
    QList<int> seqs;
    for (const QByteArray &p : payloads())
        seqs << FakeMessageSource::seqOf(p);
    return seqs;
}

std::vector<FakeDatabase::Row> FakeDatabase::rows() const
{
    return locked(m_rows);
}

std::vector<FakeDatabase::DeadRow> FakeDatabase::deadLetters() const
{
    return locked(m_dead);
}

std::vector<std::size_t> FakeDatabase::transactions() const
{
    return locked(m_transactions);
}

std::uint64_t FakeDatabase::checkpoint() const
{
    return locked(m_checkpoint);
}

void FakeDatabase::overwriteCheckpoint(std::uint64_t position)
{
    const std::lock_guard lock(m_mutex);
    m_checkpoint = position;
}

void FakeDatabase::holdSpoolLock(bool held)
{
    const std::lock_guard lock(m_mutex);
    m_lockHeld = held;
}

CheckpointClaim FakeDatabase::claim() const
{
    const std::lock_guard lock(m_mutex);
    if (m_lockHeld)
        return {.kind = CheckpointClaim::Kind::InUse};
    if (m_checkpoint == 0)
        return {};
    return {.kind = CheckpointClaim::Kind::Found, .position = m_checkpoint};
}

int FakeDatabase::opens() const
{
    return locked(m_opens);
}

int FakeDatabase::writes() const
{
    return locked(m_writes);
}

int FakeDatabase::dryRuns() const
{
    return locked(m_dryRuns);
}

bool FakeDatabase::isHanging() const
{
    return locked(m_waiting);
}

std::function<std::unique_ptr<SqlSink>()> FakeDatabase::factory(std::shared_ptr<FakeDatabase> self) const
{
    Q_ASSERT(self.get() == this);
    return [self = std::move(self)]() -> std::unique_ptr<SqlSink> { return std::make_unique<FakeSink>(self); };
}

Status FakeDatabase::open(const std::atomic<bool> &interrupted)
{
    std::unique_lock lock(m_mutex);
    if (!waitWhileHung(lock, interrupted))
        return Error{QStringLiteral("interrupted")};
    ++m_opens;
    if (m_failOpens > 0) {
        --m_failOpens;
        return Error{QStringLiteral("connection refused"), m_fatalOpen};
    }
    return Ok{};
}

WriteOutcome FakeDatabase::refusal(const WriteSet &set) const
{
    for (const std::uint32_t i : set.good) {
        if (m_refuseAll)
            return WriteOutcome::failed(m_refuseAllFailure, QStringLiteral("permission denied"), m_refuseAllCode);
        if (!m_marker.isEmpty() && set.batch->payload(i).toByteArray().contains(m_marker))
            return WriteOutcome::failed(m_markerFailure, QStringLiteral("row refused"), m_markerCode);
    }
    return {};
}

WriteOutcome FakeDatabase::write(const WriteSet &set, const std::atomic<bool> &interrupted)
{
    std::unique_lock lock(m_mutex);
    if (!waitWhileHung(lock, interrupted))
        return WriteOutcome::retry(QStringLiteral("interrupted"));
    ++m_writes;
    m_dryRuns += set.dryRun ? 1 : 0;
    if (m_failWrites > 0) {
        --m_failWrites;
        return WriteOutcome::failed(m_writeFailure, QStringLiteral("server closed the connection unexpectedly"),
                                    m_writeFailureCode);
    }
    if (WriteOutcome refused = refusal(set); !refused.ok() || set.dryRun)
        return refused;
    const Batch &b = *set.batch;
    for (const std::uint32_t i : set.good)
        m_rows.push_back({b.topic(i).toByteArray(), b.payload(i).toByteArray(), b.receivedAtUs(i)});
    for (const WriteSet::DeadLetter &dl : set.dead)
        m_dead.push_back({b.topic(dl.row).toByteArray(), b.payload(dl.row).toByteArray(), dl.reason, dl.kind});
    if (set.checkpoint)
        m_checkpoint = set.checkpoint;
    m_transactions.push_back(set.rows());
    if (m_loseReply) {
        m_loseReply = false;
        return WriteOutcome::retry(QStringLiteral("server closed the connection unexpectedly"));
    }
    return {};
}

Status FakeSink::open()
{
    const Status st = m_db->open(m_interrupted);
    m_open = bool(st);
    return st;
}

WriteOutcome FakeSink::write(const WriteSet &set)
{
    if (!m_open)
        return WriteOutcome::retry(QStringLiteral("not open"));
    return m_db->write(set, m_interrupted);
}

void FakeSink::interrupt()
{
    m_interrupted = true;
    m_db->wakeWaiters();
}

Result<CheckpointClaim> FakeSink::claimCheckpoint()
{
    if (!m_open)
        return Error{QStringLiteral("not open")};
    return m_db->claim();
}

} // namespace iot::test
