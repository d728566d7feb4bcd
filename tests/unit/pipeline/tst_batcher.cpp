// SPDX-License-Identifier: MIT
// The ingest side: batches go to the writer when full or when the flush interval is up; past the memory bound
// they go as spool ranges, read back from disk; reading pauses at the spool's cap and resumes once the writer
// releases segments; and when the spool's disk refuses records, messages are held in memory, reading pauses at
// max_buffered_messages, and both end by themselves once the disk takes records again. A fake source stands in for
// MQTT (tests/support) and a scripted disk for the spool's (Spool::Disk); every message is checked by number.
#include "fakemessagesource.h"
#include "mqtt/messagesource.h"
#include "pipeline/batch.h"
#include "pipeline/batcher.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <memory>

using namespace iot;
using iot::test::FakeMessageSource;

namespace {

/// Every message the queue holds, in order, spilled ranges read back from the spool: their seq numbers.
QList<int> drain(BatchQueue &queue, Spool &spool, int *spills = nullptr)
{
    QList<int> seqs;
    Batch b;
    while (queue.takeUpTo(1000000, b)) {
        if (b.isSpilled()) {
            if (spills)
                ++*spills;
            const Batch::Spill sp = b.spill();
            b.clear();
            spool.read(sp.from, sp.to, sp.count, b);
        }
        for (std::size_t i = 0; i < b.size(); ++i)
            seqs << FakeMessageSource::seqOf(b.payload(i).toByteArray());
        b.clear();
    }
    return seqs;
}

/// A Batcher over a FakeMessageSource, on the test thread; `spool` optional.
struct Rig
{
    BatchQueue queue;
    PipelineCounters counters;
    int wakes = 0;
    FakeMessageSource *source = nullptr;
    std::unique_ptr<Batcher> batcher;

    Rig(FlushPolicy policy, std::size_t maxBuffered, Spool *spool = nullptr, std::size_t maxBytes = SIZE_MAX)
    {
        batcher = std::make_unique<Batcher>(
            [this] {
                auto s = std::make_unique<FakeMessageSource>();
                source = s.get();
                return s;
            },
            policy, Batcher::Limits{maxBuffered, maxBytes}, &queue, &counters, [this] { ++wakes; }, spool, 50);
        batcher->start();
    }
};

std::unique_ptr<Spool> openSpool(const QString &dir, std::uint64_t segmentBytes, std::uint64_t maxBytes)
{
    Spool::Options o;
    o.dir = dir;
    o.segmentBytes = segmentBytes;
    o.maxBytes = maxBytes;
    o.reserveStep = 4096;
    auto opened = Spool::open(o);
    return opened ? std::move(opened).value() : nullptr;
}

} // namespace

class TstBatcher final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullBatchesAreHandedOver();
    void flushIntervalHandsOverAPartBatch();
    void pastTheMemoryBoundBatchesGoAsSpoolRanges();
    void readingPausesAtTheSpoolCapAndResumesOnRelease();
    void diskFullHoldsMessagesInMemoryAndPausesAtTheBound();
    void pastTheByteBoundBatchesGoAsSpoolRanges();
    void theWritersTransactionCountsAgainstTheByteBound();
    void withoutASpoolReadingPausesAtTheByteBound();
};

void TstBatcher::fullBatchesAreHandedOver()
{
    Rig rig(FlushPolicy(10, 60), 1000);
    QCOMPARE(rig.source->publish(25), 25);
    QCOMPARE(rig.queue.messages(), std::size_t(20));  // two full batches; five wait in the open one
    QCOMPARE(rig.wakes, 1);                           // the writer is woken when the queue stops being empty
    QCOMPARE(rig.counters.received.load(), std::uint64_t(25));
    QSignalSpy stopped(rig.batcher.get(), &Batcher::stopped);
    rig.batcher->stop();  // hands over the open batch
    QCOMPARE(stopped.size(), 1);
    QCOMPARE(rig.queue.messages(), std::size_t(25));
    QVERIFY(rig.source->wasStopped());
    QCOMPARE(rig.source->publish(5), 0);
}

void TstBatcher::flushIntervalHandsOverAPartBatch()
{
    Rig rig(FlushPolicy(1000, 0.1), 1000);
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(rig.source->publish(5), 5);
    QCOMPARE(rig.queue.messages(), std::size_t(0));
    QTRY_COMPARE(rig.queue.messages(), std::size_t(5));
    QVERIFY2(clock.elapsed() >= 90, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(rig.wakes, 1);
}

void TstBatcher::pastTheMemoryBoundBatchesGoAsSpoolRanges()
{
    QTemporaryDir dir;
    auto spool = openSpool(dir.path(), 1 << 20, 1 << 30);
    QVERIFY(spool);
    Rig rig(FlushPolicy(10, 60), 30, spool.get());
    QCOMPARE(rig.source->publish(200), 200);
    QCOMPARE(rig.queue.messages(), std::size_t(200));
    QCOMPARE(rig.queue.inMemoryMessages(), std::size_t(30));  // the bound; the rest is on disk only
    QVERIFY(!rig.source->isPaused());
    int spills = 0;
    QCOMPARE(drain(rig.queue, *spool, &spills), FakeMessageSource::seqs(1, 200));
    QCOMPARE(spills, 1);  // consecutive spilled batches merge into one range
}

void TstBatcher::readingPausesAtTheSpoolCapAndResumesOnRelease()
{
    QTemporaryDir dir;
    auto spool = openSpool(dir.path(), 8 << 10, 32 << 10);
    QVERIFY(spool);
    Rig rig(FlushPolicy(10, 60), 30, spool.get());
    const int delivered = rig.source->publish(100000);
    QVERIFY(rig.source->isPaused());
    QVERIFY2(spool->bytesInUse() >= spool->maxBytes(), qPrintable(QString::number(spool->bytesInUse())));
    QCOMPARE(rig.counters.readingPaused.load(), true);
    QCOMPARE(rig.counters.readPauses.load(), std::uint64_t(1));
    QCOMPARE(rig.source->publish(10), 0);
    // The writer commits everything and releases the segments before the last record: reading resumes.
    const QList<int> seqs = drain(rig.queue, *spool);
    QCOMPARE(seqs, FakeMessageSource::seqs(1, delivered));
    spool->release(spool->endPosition());
    QVERIFY(spool->bytesInUse() < spool->maxBytes() / 10 * 9);
    rig.batcher->checkBuffer();
    QVERIFY(!rig.source->isPaused());
    QCOMPARE(rig.counters.readingPaused.load(), false);
    QCOMPARE(rig.source->publish(10), 10);
}

void TstBatcher::diskFullHoldsMessagesInMemoryAndPausesAtTheBound()
{
    QTemporaryDir dir;
    int reserveError = 0;
    Spool::Options o;
    o.dir = dir.path();
    o.reserveStep = 4096;
    o.disk.reserve = [&reserveError](int fd, std::uint64_t offset, std::uint64_t length) {
        return reserveError ? reserveError : ::posix_fallocate(fd, off_t(offset), off_t(length));
    };
    auto opened = Spool::open(o);
    QVERIFY(opened);
    std::unique_ptr<Spool> spool = std::move(opened).value();
    BatchQueue queue;
    PipelineCounters counters;
    constexpr std::size_t MaxBuffered = 100;
    FakeMessageSource *source = nullptr;
    Batcher batcher([&source] {
        auto s = std::make_unique<FakeMessageSource>();
        source = s.get();
        return s;
    }, FlushPolicy(10, 60), Batcher::Limits{MaxBuffered}, &queue, &counters, [] {}, spool.get(), 50);
    batcher.start();
    QVERIFY(source);

    // Normal: 50 messages, all on disk, none refused.
    QCOMPARE(source->publish(50), 50);
    QCOMPARE(counters.spoolWriteErrors.load(), std::uint64_t(0));

    // The disk fills up: once the reserved page is used, messages are held in memory, and reading pauses at the
    // memory bound (checked as each batch of 10 is handed over, so at most one batch beyond it).
    reserveError = ENOSPC;
    const int delivered = source->publish(1000);
    QVERIFY(source->isPaused());
    QCOMPARE(counters.readingPaused.load(), true);
    QCOMPARE(counters.readPauses.load(), std::uint64_t(1));
    QCOMPARE(counters.spoolState.load(), SpoolState::DiskFull);
    QCOMPARE(spool->state(), SpoolState::DiskFull);
    QVERIFY(counters.spoolWriteErrors.load() > 0);
    QVERIFY2(queue.inMemoryMessages() >= MaxBuffered && queue.inMemoryMessages() <= MaxBuffered + 10,
             qPrintable(QString::number(queue.inMemoryMessages())));
    QCOMPARE(std::size_t(50 + delivered), queue.messages());

    // Still full at the next retry: still paused.
    QTest::qWait(1200);
    QVERIFY(source->isPaused());
    QCOMPARE(counters.spoolState.load(), SpoolState::DiskFull);

    // Space returns: the retry (every second) notices, reading resumes, new messages go to disk (and, with the
    // memory bound reached, to the writer as spilled ranges).
    reserveError = 0;
    QTRY_COMPARE_WITH_TIMEOUT(counters.spoolState.load(), SpoolState::Ok, 3000);
    QVERIFY(!source->isPaused());
    QCOMPARE(counters.readingPaused.load(), false);
    const std::uint64_t refused = counters.spoolWriteErrors.load();
    QCOMPARE(source->publish(500), 500);
    QCOMPARE(counters.spoolWriteErrors.load(), refused);
    batcher.stop();

    // Every message once, in order: those held in memory and those read back from disk.
    const QList<int> seqs = drain(queue, *spool);
    QCOMPARE(seqs.size(), source->next() - 1);
    for (int i = 0; i < seqs.size(); ++i)
        QCOMPARE(seqs[i], i + 1);
}

void TstBatcher::pastTheByteBoundBatchesGoAsSpoolRanges()
{
    QTemporaryDir dir;
    auto spool = openSpool(dir.path(), 1 << 20, 1 << 30);
    QVERIFY(spool);
    // A message bound that is never reached; max_buffered_mb's count is what sends the backlog to disk.
    constexpr std::size_t MaxBytes = 2000;
    Rig rig(FlushPolicy(10, 60), 1'000'000, spool.get(), MaxBytes);
    QCOMPARE(rig.source->publish(200), 200);
    QCOMPARE(rig.queue.messages(), std::size_t(200));
    QVERIFY2(rig.queue.inMemoryBytes() <= MaxBytes && rig.queue.inMemoryBytes() > MaxBytes / 2,
             qPrintable(QString::number(rig.queue.inMemoryBytes())));
    QVERIFY(rig.queue.inMemoryMessages() < 60);
    QVERIFY(!rig.source->isPaused());
    int spills = 0;
    QCOMPARE(drain(rig.queue, *spool, &spills), FakeMessageSource::seqs(1, 200));
    QCOMPARE(spills, 1);
}

void TstBatcher::theWritersTransactionCountsAgainstTheByteBound()
{
    QTemporaryDir dir;
    auto spool = openSpool(dir.path(), 1 << 20, 1 << 30);
    QVERIFY(spool);
    Rig rig(FlushPolicy(10, 60), 1'000'000, spool.get(), 2000);
    // The writer holds nearly the whole bound: every batch goes to disk, none stays in memory.
    rig.counters.writerHeldBytes.store(1900);
    QCOMPARE(rig.source->publish(100), 100);
    QCOMPARE(rig.queue.inMemoryMessages(), std::size_t(0));
    QCOMPARE(rig.queue.messages(), std::size_t(100));
    // It commits: batches stay in memory again.
    rig.counters.writerHeldBytes.store(0);
    QCOMPARE(rig.source->publish(10), 10);
    QCOMPARE(rig.queue.inMemoryMessages(), std::size_t(10));
    QCOMPARE(drain(rig.queue, *spool), FakeMessageSource::seqs(1, 110));
}

void TstBatcher::withoutASpoolReadingPausesAtTheByteBound()
{
    constexpr std::size_t MaxBytes = 2000;
    Rig rig(FlushPolicy(10, 60), 1'000'000, nullptr, MaxBytes);
    const int delivered = rig.source->publish(100000);
    QVERIFY(rig.source->isPaused());
    QCOMPARE(rig.counters.readingPaused.load(), true);
    QCOMPARE(rig.counters.readPauses.load(), std::uint64_t(1));
    // Checked as each batch of 10 is handed over: at least the bound, at most one batch beyond it.
    const std::size_t batchBytes = 10 * Batch::memoryBytes(6, std::size_t(FakeMessageSource::payload(99999).size()));
    QVERIFY2(rig.queue.inMemoryBytes() >= MaxBytes && rig.queue.inMemoryBytes() < MaxBytes + batchBytes,
             qPrintable(QString::number(rig.queue.inMemoryBytes())));
    QVERIFY(delivered < 100);
    rig.counters.received.store(std::uint64_t(delivered));
    // The writer takes a transaction of a quarter of the bound: it counts too, so not yet low enough to resume.
    Batch held;
    QVERIFY(rig.queue.takeUpTo(1'000'000, held, MaxBytes / 4));
    rig.counters.writerHeldBytes.store(held.memoryBytes());
    rig.batcher->checkBuffer();
    QVERIFY(rig.source->isPaused());
    // It commits them and takes the rest: below three quarters, reading resumes.
    rig.counters.written.store(held.size());
    rig.counters.writerHeldBytes.store(0);
    QList<int> seqs;
    for (std::size_t i = 0; i < held.size(); ++i)
        seqs << FakeMessageSource::seqOf(held.payload(i).toByteArray());
    Batch rest;
    QVERIFY(rig.queue.takeUpTo(1'000'000, rest));
    for (std::size_t i = 0; i < rest.size(); ++i)
        seqs << FakeMessageSource::seqOf(rest.payload(i).toByteArray());
    rig.counters.written.store(std::uint64_t(delivered));
    rig.batcher->checkBuffer();
    QVERIFY(!rig.source->isPaused());
    QCOMPARE(rig.counters.readingPaused.load(), false);
    QCOMPARE(seqs, FakeMessageSource::seqs(1, delivered - delivered % 10));
}

QTEST_GUILESS_MAIN(TstBatcher)
#include "tst_batcher.moc"
