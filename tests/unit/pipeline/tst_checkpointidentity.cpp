// SPDX-License-Identifier: MIT
// The checkpoint belongs to the spool that wrote it: a reconnection never raises the committed position above what
// this writer committed itself (only the one write in doubt is settled by the database's word), a spool whose lock
// another live process holds blocks writing and retries instead of sharing the row, and a database with no row for
// this spool gets everything the spool holds. Through BatchWriter's SqlSink seam (tests/support/fakesink.h).
#include "fakemessagesource.h"
#include "fakesink.h"
#include "pipeline/batchqueue.h"
#include "pipeline/batchwriter.h"
#include "pipeline/pipelinecounters.h"
#include "spool/spool.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace iot;
using iot::test::FakeDatabase;
using iot::test::FakeMessageSource;

namespace {

/// A writer on the test thread over a fake database and a spool in a temporary directory.
struct Rig
{
    std::shared_ptr<FakeDatabase> db = std::make_shared<FakeDatabase>();
    BatchQueue queue;
    PipelineCounters counters;
    QTemporaryDir dir;
    std::unique_ptr<Spool> spool;
    std::unique_ptr<BatchWriter> writer;
    int next = 1;

    Rig()
    {
        Spool::Options o;
        o.dir = dir.path();
        o.segmentBytes = 1 << 20;
        spool = std::move(Spool::open(o)).value();
    }
    void start(int maxTransactionRows = 1000)
    {
        SubscriberConfig cfg;
        cfg.errorRetryDelaySec = 0.02;
        cfg.maxTransactionRows = maxTransactionRows;
        writer = std::make_unique<BatchWriter>(db->factory(db), cfg, &queue, &counters, spool.get(),
                                               spool->endPosition());
        writer->start();
    }
    Batch make(int count)
    {
        Batch b;
        for (int i = 0; i < count; ++i, ++next) {
            const QByteArray p = FakeMessageSource::payload(next);
            std::uint64_t end = 0;
            spool->append("t/1", p, next, end);
            b.append("t/1", p, next, end);
        }
        counters.received.fetch_add(b.size());
        return b;
    }
    void push(int count)
    {
        queue.push(make(count));
        writer->drain();
    }
};

QList<BatchWriter::StateInfo> states(const QSignalSpy &spy)
{
    QList<BatchWriter::StateInfo> out;
    for (const QList<QVariant> &args : spy)
        out << args.at(0).value<BatchWriter::StateInfo>();
    return out;
}

} // namespace

class TstCheckpointIdentity final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aForeignCheckpointNeverRaisesOurs();
    void aLostRowOnReconnectReplaysNothing();
    void spoolInUseBlocksUntilReleased();
    void noCheckpointReplaysWhatTheSpoolHolds();
    void aLongReplayGoesOnWithoutNewMessages();
};

void TstCheckpointIdentity::aForeignCheckpointNeverRaisesOurs()
{
    // Before spool ids, a second instance with the same key wrote the same row: at our reconnection its position
    // (ahead of ours) was taken, our pending rows dropped as "committed" and their segments released.
    Rig rig;
    rig.start();
    rig.push(100);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 100);
    rig.db->failWrites(1);  // the connection drops under the next write
    rig.queue.push(rig.make(60));
    const std::uint64_t foreign = rig.spool->endPosition();
    rig.queue.push(rig.make(40));
    rig.db->overwriteCheckpoint(foreign);  // someone else's position, inside our spool's range
    rig.writer->drain();
    QTRY_COMPARE(rig.counters.inFlight(), std::uint64_t(0));
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 200));  // none missing, none twice
    QCOMPARE(rig.counters.written.load(), std::uint64_t(200));
    QCOMPARE(rig.db->checkpoint(), rig.spool->endPosition());
}

void TstCheckpointIdentity::aLostRowOnReconnectReplaysNothing()
{
    // The row vanished (a restored database, a hand edit): nothing we committed is written again.
    Rig rig;
    rig.start();
    rig.push(100);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 100);
    rig.db->overwriteCheckpoint(0);
    rig.db->failWrites(1);
    rig.push(50);
    QTRY_COMPARE(rig.counters.inFlight(), std::uint64_t(0));
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 150));
    QCOMPARE(rig.counters.replayed.load(), std::uint64_t(0));
}

void TstCheckpointIdentity::spoolInUseBlocksUntilReleased()
{
    Rig rig;
    rig.db->holdSpoolLock(true);  // a live copy of this spool directory writes into the same database
    rig.start();
    QSignalSpy changes(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(20);
    QTRY_VERIFY(std::any_of(states(changes).cbegin(), states(changes).cend(), [](const BatchWriter::StateInfo &s) {
        return s.state == BatchWriter::State::Blocked && s.cause == BatchWriter::Cause::SpoolInUse;
    }));
    const auto blocked = *std::find_if(states(changes).cbegin(), states(changes).cend(),
                                       [](const BatchWriter::StateInfo &s) { return s.state == BatchWriter::State::Blocked; });
    QCOMPARE(blocked.message, QString::fromLatin1(rig.spool->id().id));
    QVERIFY(blocked.reason().contains(QStringLiteral("in use by another live process")));
    QCOMPARE(rig.db->writes(), 0);  // never shares the row
    rig.db->holdSpoolLock(false);  // the other process ended
    QTRY_COMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 20));
    QCOMPARE(states(changes).constLast().state, BatchWriter::State::Connected);
}

void TstCheckpointIdentity::noCheckpointReplaysWhatTheSpoolHolds()
{
    // A new database (or one that never saw this spool): the stated rule is to replay everything the spool holds.
    Rig rig;
    for (int seq = 1; seq <= 50; ++seq) {
        std::uint64_t end = 0;
        QVERIFY(rig.spool->append("t/1", FakeMessageSource::payload(seq), seq, end));
    }
    rig.next = 51;
    rig.start();
    rig.push(5);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 55);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 55));
    QCOMPARE(rig.counters.replayed.load(), std::uint64_t(50));
}

void TstCheckpointIdentity::aLongReplayGoesOnWithoutNewMessages()
{
    // A replay of many transactions on a quiet stream: before, each transaction of it waited for a new batch to
    // wake the writer, so a restart after an outage stalled after its first max_transaction_rows rows.
    Rig rig;
    for (int seq = 1; seq <= 2000; ++seq) {
        std::uint64_t end = 0;
        QVERIFY(rig.spool->append("t/1", FakeMessageSource::payload(seq), seq, end));
    }
    rig.start(300);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 2000);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 2000));
    QCOMPARE(rig.db->checkpoint(), rig.spool->endPosition());
}

QTEST_GUILESS_MAIN(TstCheckpointIdentity)
#include "tst_checkpointidentity.moc"
