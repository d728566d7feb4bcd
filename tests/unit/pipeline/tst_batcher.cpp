// SPDX-License-Identifier: MIT
// The ingest side's flow control when the spool's disk refuses records: messages are held in memory, reading
// pauses at max_buffered_messages, and both end by themselves once the disk takes records again. A scripted source
// stands in for MQTT and a scripted disk for the spool's (Spool::Disk); every message is checked by number.
#include "mqtt/messagesource.h"
#include "pipeline/batch.h"
#include "pipeline/batcher.h"
#include "pipeline/batchqueue.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"

#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <memory>

using namespace iot;

namespace {

/// Delivers numbered messages on request while not paused, as a broker connection would.
class ScriptedSource final : public MessageSource
{
    Q_OBJECT
public:
    void start() override { setState({.state = State::Connected, .endpoint = QStringLiteral("scripted")}); }
    void stop() override
    {
        setState({.state = State::Disconnected, .cause = Cause::Stopped});
        Q_EMIT stopped();
    }
    void setReadingPaused(bool paused) override { m_paused = paused; }
    void reconnectNow() override {}

    bool isPaused() const { return m_paused; }
    /// Delivers up to `count` messages from `m_next` on; stops when reading is paused. Returns how many went.
    int offer(int count)
    {
        int i = 0;
        for (; i < count && !m_paused; ++i, ++m_next)
            deliver("s/1", QByteArray("{\"seq\":" + QByteArray::number(m_next) + '}'));
        return i;
    }
    int next() const { return m_next; }

private:
    bool m_paused = false;
    int m_next = 1;
};

/// Every message the queue holds, in order, spilled ranges read back from the spool: their seq numbers.
QList<int> drain(BatchQueue &queue, Spool &spool)
{
    QList<int> seqs;
    Batch b;
    while (queue.takeUpTo(1000000, b)) {
        if (b.isSpilled()) {
            const Batch::Spill sp = b.spill();
            b.clear();
            spool.read(sp.from, sp.to, sp.count, b);
        }
        for (std::size_t i = 0; i < b.size(); ++i)
            seqs << QByteArray(b.payload(i).data(), b.payload(i).size()).mid(7).chopped(1).toInt();
        b.clear();
    }
    return seqs;
}

} // namespace

class TstBatcher final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void diskFullHoldsMessagesInMemoryAndPausesAtTheBound();
};

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
    ScriptedSource *source = nullptr;
    Batcher batcher([&source] {
        auto s = std::make_unique<ScriptedSource>();
        source = s.get();
        return s;
    }, FlushPolicy(10, 60), MaxBuffered, &queue, &counters, [] {}, spool.get(), 50);
    batcher.start();
    QVERIFY(source);

    // Normal: 50 messages, all on disk, none refused.
    QCOMPARE(source->offer(50), 50);
    QCOMPARE(counters.spoolWriteErrors.load(), std::uint64_t(0));

    // The disk fills up: once the reserved page is used, messages are held in memory, and reading pauses at the
    // memory bound (checked as each batch of 10 is handed over, so at most one batch beyond it).
    reserveError = ENOSPC;
    const int delivered = source->offer(1000);
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
    QCOMPARE(source->offer(500), 500);
    QCOMPARE(counters.spoolWriteErrors.load(), refused);
    batcher.stop();

    // Every message once, in order: those held in memory and those read back from disk.
    const QList<int> seqs = drain(queue, *spool);
    QCOMPARE(seqs.size(), source->next() - 1);
    for (int i = 0; i < seqs.size(); ++i)
        QCOMPARE(seqs[i], i + 1);
}

QTEST_GUILESS_MAIN(TstBatcher)
#include "tst_batcher.moc"
