// SPDX-License-Identifier: MIT
// The writer's failure model through its SqlSink seam, with a database that misbehaves on cue (tests/support
// fakesink.h): one bad row among good ones is set aside whatever its class, two are bisected out; a statement that
// refuses every row blocks writing and keeps the rows; an error of unknown class is retried a bounded number of
// times and then split, a connection error is retried without splitting; a lost commit reply writes nothing twice;
// group commit stays within max_transaction_rows and an eighth of max_buffered_mb (what the writer holds is counted
// for the ingest side); spilled ranges and the replay are read back from the spool.
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

/// A writer on the test thread over a fake database, optionally with a spool in a temporary directory.
struct Rig
{
    std::shared_ptr<FakeDatabase> db = std::make_shared<FakeDatabase>();
    BatchQueue queue;
    PipelineCounters counters;
    QTemporaryDir dir;
    std::unique_ptr<Spool> spool;
    std::unique_ptr<BatchWriter> writer;
    int next = 1;

    void openSpool()
    {
        Spool::Options o;
        o.dir = dir.path();
        o.segmentBytes = 1 << 20;
        auto opened = Spool::open(o);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
        spool = std::move(opened).value();
    }
    /// Creates the writer (replaying the spool up to where it ends now).
    void create(int maxTransactionRows = 1000, int maxBufferedMb = 64)
    {
        SubscriberConfig cfg;
        cfg.errorRetryDelaySec = 0.02;
        cfg.maxTransactionRows = maxTransactionRows;
        cfg.maxBufferedMb = maxBufferedMb;
        writer = std::make_unique<BatchWriter>(db->factory(db), cfg, &queue, &counters, spool.get(),
                                               spool ? spool->endPosition() : 0);
    }
    void start(int maxTransactionRows = 1000, int maxBufferedMb = 64)
    {
        create(maxTransactionRows, maxBufferedMb);
        writer->start();
    }
    /// The next `count` messages as a batch (spooled when there is a spool); the one numbered `poison` is refused.
    Batch make(int count, int poison = -1)
    {
        Batch b;
        for (int i = 0; i < count; ++i, ++next) {
            const QByteArray p = FakeMessageSource::payload(next, next == poison ? "poison" : QByteArray());
            std::uint64_t end = 0;
            if (spool)
                spool->append("t/1", p, next, end);
            b.append("t/1", p, next, end);
        }
        counters.received.fetch_add(b.size());
        return b;
    }
    void push(int count, int poison = -1)
    {
        queue.push(make(count, poison));
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

bool reached(const QSignalSpy &spy, BatchWriter::State state)
{
    const auto all = states(spy);
    return std::any_of(all.begin(), all.end(), [state](const BatchWriter::StateInfo &s) { return s.state == state; });
}

} // namespace

class TstBatchWriter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneBadRowIsSetAside_data();
    void oneBadRowIsSetAside();
    void twoBadRowsAreBisectedOut();
    void everyRowRefusedBlocksAndKeepsRows();
    void unknownErrorIsRetriedThenSplit();
    void connectionFailuresAreRetriedWithoutSplitting();
    void quietStreamJudgesWithTheNextRow();
    void unavailableDatabaseIsRetriedUntilItOpens();
    void fatalOpenFailsAndFinishesAtOnce();
    void lostCommitReplyWritesNothingTwice();
    void groupCommitStaysWithinTheCap();
    void groupCommitStaysWithinTheByteCap();
    void spilledRangesAreReadBackInOrder();
    void replayStartsAtTheDatabasesCheckpoint();
    void finishTimesOutWhileTheDatabaseIsDown();
};

void TstBatchWriter::oneBadRowIsSetAside_data()
{
    QTest::addColumn<int>("cls");
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<int>("poison");
    QTest::newRow("54000 first row") << int(FailureClass::Rows) << QByteArrayLiteral("54000") << 1;
    QTest::newRow("P0001 middle") << int(FailureClass::Rows) << QByteArrayLiteral("P0001") << 250;
    QTest::newRow("22001 last row") << int(FailureClass::Rows) << QByteArrayLiteral("22001") << 500;
    QTest::newRow("42804 unknown class") << int(FailureClass::Unknown) << QByteArrayLiteral("42804") << 17;
}

void TstBatchWriter::oneBadRowIsSetAside()
{
    QFETCH(int, cls);
    QFETCH(QByteArray, code);
    QFETCH(int, poison);
    Rig rig;
    rig.db->refuseRowsContaining("poison", code, FailureClass(cls));
    rig.start();
    rig.push(500, poison);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 499);
    const auto dead = rig.db->deadLetters();
    QCOMPARE(dead.size(), std::size_t(1));
    QCOMPARE(dead.front().kind, Reasons::DeadLetter::DbRejected);
    QCOMPARE(FakeMessageSource::seqOf(dead.front().payload), poison);
    const QString expected = QStringLiteral("rejected by database (%1): ").arg(QString::fromLatin1(code));
    QVERIFY2(dead.front().reason.startsWith(expected), qPrintable(dead.front().reason));
    QCOMPARE(rig.counters.deadLetteredBy[std::size_t(Reasons::DeadLetter::DbRejected)].load(), std::uint64_t(1));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
    // Spool order kept: every stored row once, in sequence.
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 500, {poison}));
    // Ingestion goes on.
    rig.push(100);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 599);
}

void TstBatchWriter::twoBadRowsAreBisectedOut()
{
    Rig rig;
    rig.db->refuseRowsContaining("poison", "23514");
    rig.start();
    Batch b = rig.make(400);
    Batch bad1 = rig.make(1, 401);  // the two poison rows, far apart in one transaction
    b.appendAll(bad1);
    b.appendAll(rig.make(500));
    b.appendAll(rig.make(1, 902));
    b.appendAll(rig.make(98));
    rig.queue.push(std::move(b));
    rig.writer->drain();
    QTRY_COMPARE(rig.db->storedSeqs().size(), 998);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 1000, {401, 902}));
    const auto dead = rig.db->deadLetters();
    QCOMPARE(dead.size(), std::size_t(2));
    QCOMPARE(FakeMessageSource::seqOf(dead[0].payload), 401);
    QCOMPARE(FakeMessageSource::seqOf(dead[1].payload), 902);
    // Halving finds each in about log2(1000) steps: far fewer writes than rows.
    QVERIFY2(rig.db->writes() < 64, qPrintable(QString::number(rig.db->writes())));
    QCOMPARE(rig.counters.deadLettered.load(), std::uint64_t(2));
    QCOMPARE(rig.counters.written.load(), std::uint64_t(998));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

void TstBatchWriter::everyRowRefusedBlocksAndKeepsRows()
{
    Rig rig;
    rig.db->refuseEveryRow(true, "42501");
    rig.start();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(300);
    QTRY_VERIFY(reached(spy, BatchWriter::State::Blocked));
    const auto blocked = states(spy).constLast();
    QCOMPARE(blocked.cause, BatchWriter::Cause::TableRefusesEveryRow);
    QCOMPARE(blocked.table, QStringLiteral("readings"));
    QCOMPARE(blocked.code, QStringLiteral("42501"));
    const int writes = rig.db->writes();
    QTRY_VERIFY(rig.db->writes() > writes + 5);  // retried while blocked
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(0));
    QCOMPARE(rig.counters.dropped.load(), std::uint64_t(0));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(300));
    rig.db->refuseEveryRow(false);
    QTRY_COMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 300));
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(0));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

void TstBatchWriter::unknownErrorIsRetriedThenSplit()
{
    Rig rig;
    rig.db->refuseRowsContaining("poison", "XX000", FailureClass::Unknown);
    rig.start();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(8, 4);
    QTRY_COMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 8, {4}));
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(1));
    const auto all = states(spy);
    const auto retrying = std::count_if(all.begin(), all.end(), [](const BatchWriter::StateInfo &s) {
        return s.state == BatchWriter::State::Retrying;
    });
    QCOMPARE(retrying, qsizetype(BatchWriter::UnknownRetriesBeforeSplit - 1));
}

void TstBatchWriter::connectionFailuresAreRetriedWithoutSplitting()
{
    Rig rig;
    rig.start();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.db->failWrites(3);
    rig.push(50);
    QTRY_COMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 50));
    // Retried as long as it lasts, counting attempts; never split: one transaction of all 50 rows.
    QList<int> attempts;
    for (const BatchWriter::StateInfo &s : states(spy))
        if (s.state == BatchWriter::State::Retrying) {
            attempts << s.attempt;
            QCOMPARE(s.cause, BatchWriter::Cause::Unavailable);
            QCOMPARE(s.retryDelayUs, qint64(20000));
        }
    QCOMPARE(attempts, (QList<int>{1, 1, 1}));  // each retry reconnected: tries since the last connection
    QCOMPARE(states(spy).constLast().state, BatchWriter::State::Connected);
    QCOMPARE(rig.db->transactions(), std::vector<std::size_t>{50});
    QCOMPARE(rig.counters.writeFailures.load(), std::uint64_t(3));
    QCOMPARE(rig.counters.dbReconnects.load(), std::uint64_t(3));
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(0));
}

void TstBatchWriter::quietStreamJudgesWithTheNextRow()
{
    // One message per transaction: the bad one has no neighbour to compare with until the next arrives.
    Rig rig;
    rig.db->refuseRowsContaining("poison", "54000");
    rig.start();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(1, 1);
    QTRY_VERIFY(reached(spy, BatchWriter::State::Blocked));
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(0));
    rig.push(1);
    QTRY_COMPARE(rig.db->storedSeqs(), QList<int>{2});
    QCOMPARE(rig.db->deadLetters().size(), std::size_t(1));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

void TstBatchWriter::unavailableDatabaseIsRetriedUntilItOpens()
{
    Rig rig;
    rig.db->failOpens(3);
    rig.create();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.writer->start();
    rig.push(30);
    QTRY_COMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 30));
    QCOMPARE(rig.db->opens(), 4);
    QList<int> attempts;
    for (const BatchWriter::StateInfo &s : states(spy))
        if (s.state == BatchWriter::State::Retrying)
            attempts << s.attempt;
    QCOMPARE(attempts, (QList<int>{1, 2, 3}));  // the tries count up while the database stays away
    // Ended connected; the first connection is not a reconnect.
    QCOMPARE(states(spy).constLast().state, BatchWriter::State::Connected);
    QCOMPARE(states(spy).constLast().target, QStringLiteral("fake database"));
    QCOMPARE(rig.counters.dbReconnects.load(), std::uint64_t(0));
}

void TstBatchWriter::fatalOpenFailsAndFinishesAtOnce()
{
    Rig rig;
    rig.db->failOpens(1, true);
    rig.create();
    QSignalSpy fatal(rig.writer.get(), &BatchWriter::fatalError);
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.writer->start();
    QCOMPARE(fatal.size(), 1);
    QCOMPARE(states(spy).constLast().state, BatchWriter::State::Failed);
    QCOMPARE(states(spy).constLast().cause, BatchWriter::Cause::Fatal);
    rig.push(10);
    QSignalSpy finished(rig.writer.get(), &BatchWriter::finished);
    rig.writer->finish(5000);
    QCOMPARE(finished.size(), 1);  // at once, not after the timeout
    QCOMPARE(finished.at(0).at(0).value<quint64>(), quint64(10));
    QCOMPARE(rig.db->opens(), 1);  // never tried again
    QCOMPARE(rig.db->writes(), 0);
}

void TstBatchWriter::lostCommitReplyWritesNothingTwice()
{
    Rig rig;
    rig.openSpool();
    rig.start();
    QSignalSpy spy(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(100);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 100);
    rig.db->loseNextCommitReply();
    rig.push(150);
    QTRY_VERIFY(reached(spy, BatchWriter::State::Retrying));
    rig.push(50);
    QTRY_COMPARE(rig.counters.inFlight(), std::uint64_t(0));
    // The reconnection read the checkpoint and dropped the 150 rows it covers: each row stored once.
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 300));
    QCOMPARE(rig.counters.written.load(), std::uint64_t(300));
    QCOMPARE(rig.db->checkpoint(), rig.spool->endPosition());
    QCOMPARE(rig.counters.dbReconnects.load(), std::uint64_t(1));
}

void TstBatchWriter::groupCommitStaysWithinTheCap()
{
    Rig rig;
    rig.start(100);
    // Ten batches of 30 queued before the writer looks: whole batches, up to 100 rows per transaction.
    for (int i = 0; i < 10; ++i)
        rig.queue.push(rig.make(30));
    rig.writer->drain();
    QTRY_COMPARE(rig.db->storedSeqs().size(), 300);
    QCOMPARE(rig.db->transactions(), (std::vector<std::size_t>{90, 90, 90, 30}));
    // A batch larger than the cap is not cut: it is one transaction of its own.
    rig.push(250);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 550);
    QCOMPARE(rig.db->transactions().back(), std::size_t(250));
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 550));
    QCOMPARE(rig.counters.transactions.load(), std::uint64_t(5));
}

void TstBatchWriter::groupCommitStaysWithinTheByteCap()
{
    Rig rig;
    rig.openSpool();
    rig.start(1'000'000, 1);  // max_buffered_mb = 1: transactions of at most 128 KiB
    const std::size_t cap = BatchWriter::maxTransactionBytes(SubscriberConfig{.maxBufferedMb = 1});
    QCOMPARE(cap, std::size_t(128 << 10));
    // The smallest message of the test: at most this many fit in one transaction.
    const std::size_t rowBytes = Batch::memoryBytes(3, std::size_t(FakeMessageSource::payload(1).size()));
    const std::size_t maxRows = cap / rowBytes;
    rig.db->failWrites(1);  // the first transaction is held through a failed write: counted while held
    std::size_t bytes = 0;
    for (int i = 0; i < 40; ++i) {
        Batch b = rig.make(500);
        bytes += b.memoryBytes();
        rig.queue.push(std::move(b));
    }
    QCOMPARE(rig.queue.inMemoryBytes(), bytes);
    rig.writer->drain();
    QTRY_VERIFY(rig.counters.writeFailures.load() == 1);
    const std::uint64_t held = rig.counters.writerHeldBytes.load();
    QVERIFY2(held > cap / 2 && held <= cap, qPrintable(QString::number(held)));
    QCOMPARE(rig.queue.inMemoryBytes() + held, bytes);
    // The same for a spilled range read back from disk.
    const std::uint64_t from = rig.spool->endPosition();
    const Batch onDisk = rig.make(10000);
    rig.queue.pushSpill({from, onDisk.lastSpoolEnd(), onDisk.size()});
    QTRY_COMPARE_WITH_TIMEOUT(rig.db->storedSeqs().size(), 30000, 10000);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 30000));
    for (const std::size_t rows : rig.db->transactions())
        QVERIFY2(rows <= maxRows, qPrintable(QString::number(rows)));
    QVERIFY(rig.db->transactions().size() >= 30000 / maxRows);
    QCOMPARE(rig.counters.writerHeldBytes.load(), std::uint64_t(0));  // nothing held once all is committed
    QCOMPARE(rig.queue.inMemoryBytes(), std::size_t(0));
}

void TstBatchWriter::spilledRangesAreReadBackInOrder()
{
    Rig rig;
    rig.openSpool();
    rig.start(100);
    rig.push(20);  // in memory
    const std::uint64_t from = rig.spool->endPosition();
    const Batch onDisk = rig.make(250);  // spooled; only the range is queued, as Batcher does past the memory bound
    rig.queue.pushSpill({from, onDisk.lastSpoolEnd(), onDisk.size()});
    rig.push(5);
    rig.writer->drain();
    QTRY_COMPARE(rig.db->storedSeqs().size(), 275);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(1, 275));
    // Read back in pieces of at most max_transaction_rows.
    for (const std::size_t rows : rig.db->transactions())
        QVERIFY(rows <= 100);
    QCOMPARE(rig.db->checkpoint(), rig.spool->endPosition());
    QCOMPARE(rig.counters.dropped.load(), std::uint64_t(0));
}

void TstBatchWriter::replayStartsAtTheDatabasesCheckpoint()
{
    // A restart: 100 messages spooled by the previous run, the first 40 committed (the database's checkpoint).
    Rig rig;
    rig.openSpool();
    std::uint64_t checkpoint = 0;
    for (int seq = 1; seq <= 100; ++seq) {
        std::uint64_t end = 0;
        QVERIFY(rig.spool->append("t/1", FakeMessageSource::payload(seq), seq, end));
        if (seq == 40)
            checkpoint = end;
    }
    rig.next = 101;
    WriteSet seed;  // the previous run's commit, as the database remembers it
    Batch none;
    seed.batch = &none;
    seed.checkpoint = checkpoint;
    {
        auto sink = rig.db->factory(rig.db)();
        QVERIFY(sink->open());
        QVERIFY(sink->write(seed).ok());
    }
    rig.start();
    rig.push(10);
    QTRY_COMPARE(rig.db->storedSeqs().size(), 70);
    QCOMPARE(rig.db->storedSeqs(), FakeMessageSource::seqs(41, 110));
    QCOMPARE(rig.counters.replayed.load(), std::uint64_t(60));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

void TstBatchWriter::finishTimesOutWhileTheDatabaseIsDown()
{
    Rig rig;
    rig.db->failOpens(1000000);
    rig.start();
    rig.push(25);
    QSignalSpy finished(rig.writer.get(), &BatchWriter::finished);
    rig.writer->finish(200);
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).value<quint64>(), quint64(25));
    QCOMPARE(rig.db->payloads().size(), std::size_t(0));
}

QTEST_GUILESS_MAIN(TstBatchWriter)
#include "tst_batchwriter.moc"
