// SPDX-License-Identifier: MIT
// The writer's failure model through its SqlSink seam, with a sink that refuses rows on cue: one bad row among good
// ones is set aside whatever its class; a statement that refuses every row blocks writing and keeps the rows; an
// error of unknown class is retried a bounded number of times and then split; a quiet stream (one row per
// transaction) still gets its bad row set aside once more rows come.
#include "pipeline/batchqueue.h"
#include "pipeline/batchwriter.h"
#include "pipeline/pipelinecounters.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>
#include <set>

using namespace iot;

namespace {

/// Refuses rows whose payload contains "poison" with `code` / `cls`, or every row while `refuseAll` is set.
struct Refusals
{
    FailureClass cls = FailureClass::Rows;
    QByteArray code = QByteArrayLiteral("54000");
    bool refuseAll = false;
    std::vector<QByteArray> stored;  // payloads committed, in order
    std::vector<QString> dead;       // dead-letter reasons committed
    int writes = 0;
    int dryRuns = 0;
};

class FakeSink final : public SqlSink
{
public:
    explicit FakeSink(std::shared_ptr<Refusals> r) : m_r(std::move(r)) {}
    Status open() override
    {
        m_open = true;
        return Ok{};
    }
    void close() override { m_open = false; }
    bool isOpen() const override { return m_open; }
    WriteOutcome write(const WriteSet &set) override
    {
        ++m_r->writes;
        m_r->dryRuns += set.dryRun ? 1 : 0;
        for (const std::uint32_t i : set.good)
            if (m_r->refuseAll || set.batch->payload(i).toByteArray().contains("poison"))
                return WriteOutcome::failed(m_r->cls, QStringLiteral("refused"), m_r->code);
        if (set.dryRun)
            return {};
        for (const std::uint32_t i : set.good)
            m_r->stored.push_back(set.batch->payload(i).toByteArray());
        for (const WriteSet::DeadLetter &dl : set.dead)
            m_r->dead.push_back(dl.reason);
        return {};
    }
    Result<std::uint64_t> readCheckpoint() override { return std::uint64_t(0); }
    QString describe() const override { return QStringLiteral("fake"); }
    QString table() const override { return QStringLiteral("readings"); }

private:
    std::shared_ptr<Refusals> m_r;
    bool m_open = false;
};

struct Rig
{
    std::shared_ptr<Refusals> refusals = std::make_shared<Refusals>();
    BatchQueue queue;
    PipelineCounters counters;
    std::unique_ptr<BatchWriter> writer;

    Rig()
    {
        SubscriberConfig cfg;
        cfg.errorRetryDelaySec = 0.02;
        cfg.maxTransactionRows = 1000;
        writer = std::make_unique<BatchWriter>([r = refusals] { return std::make_unique<FakeSink>(r); }, cfg, &queue,
                                               &counters);
        writer->start();
    }
    void push(int from, int to, int poison = -1)
    {
        Batch b;
        for (int seq = from; seq <= to; ++seq) {
            const QByteArray p = QByteArrayLiteral("{\"seq\":") + QByteArray::number(seq)
                + (seq == poison ? QByteArrayLiteral(",\"k\":\"poison\"}") : QByteArrayLiteral("}"));
            b.append("t/1", p, seq);
        }
        counters.received.fetch_add(b.size());
        queue.push(std::move(b));
        writer->drain();
    }
};

} // namespace

class TstBatchWriter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneBadRowIsSetAside_data();
    void oneBadRowIsSetAside();
    void everyRowRefusedBlocksAndKeepsRows();
    void unknownErrorIsRetriedThenSplit();
    void quietStreamJudgesWithTheNextRow();
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
    rig.refusals->cls = FailureClass(cls);
    rig.refusals->code = code;
    rig.push(1, 500, poison);
    QTRY_COMPARE(rig.refusals->stored.size(), std::size_t(499));
    QCOMPARE(rig.refusals->dead.size(), std::size_t(1));
    QVERIFY2(rig.refusals->dead.front().startsWith(QStringLiteral("rejected by database (%1): ")
                                                       .arg(QString::fromLatin1(code))),
             qPrintable(rig.refusals->dead.front()));
    QCOMPARE(rig.counters.deadLetteredBy[std::size_t(Reasons::DeadLetter::DbRejected)].load(), std::uint64_t(1));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
    // Spool order kept: every stored row in sequence.
    std::set<QByteArray> unique(rig.refusals->stored.begin(), rig.refusals->stored.end());
    QCOMPARE(unique.size(), std::size_t(499));
    // Ingestion goes on.
    rig.push(501, 600);
    QTRY_COMPARE(rig.refusals->stored.size(), std::size_t(599));
}

void TstBatchWriter::everyRowRefusedBlocksAndKeepsRows()
{
    Rig rig;
    QSignalSpy states(rig.writer.get(), &BatchWriter::stateChanged);
    rig.refusals->cls = FailureClass::Unknown;
    rig.refusals->code = QByteArrayLiteral("42501");
    rig.refusals->refuseAll = true;
    rig.push(1, 300);
    QTRY_VERIFY(std::any_of(states.begin(), states.end(), [](const QList<QVariant> &a) {
        return a.at(0).value<BatchWriter::StateInfo>().state == BatchWriter::State::Blocked;
    }));
    const int writes = rig.refusals->writes;
    QTRY_VERIFY(rig.refusals->writes > writes + 5);  // retried while blocked
    QCOMPARE(rig.refusals->dead.size(), std::size_t(0));
    QCOMPARE(rig.counters.dropped.load(), std::uint64_t(0));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(300));
    rig.refusals->refuseAll = false;
    QTRY_COMPARE(rig.refusals->stored.size(), std::size_t(300));
    QCOMPARE(rig.refusals->dead.size(), std::size_t(0));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

void TstBatchWriter::unknownErrorIsRetriedThenSplit()
{
    Rig rig;
    rig.refusals->cls = FailureClass::Unknown;
    rig.refusals->code = QByteArrayLiteral("XX000");
    QSignalSpy states(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(1, 8, 4);
    QTRY_COMPARE(rig.refusals->stored.size(), std::size_t(7));
    QCOMPARE(rig.refusals->dead.size(), std::size_t(1));
    const auto retrying = std::count_if(states.begin(), states.end(), [](const QList<QVariant> &a) {
        return a.at(0).value<BatchWriter::StateInfo>().state == BatchWriter::State::Retrying;
    });
    QCOMPARE(retrying, qsizetype(BatchWriter::UnknownRetriesBeforeSplit - 1));
}

void TstBatchWriter::quietStreamJudgesWithTheNextRow()
{
    // One message per transaction: the bad one has no neighbour to compare with until the next arrives.
    Rig rig;
    QSignalSpy states(rig.writer.get(), &BatchWriter::stateChanged);
    rig.push(1, 1, 1);
    QTRY_VERIFY(std::any_of(states.begin(), states.end(), [](const QList<QVariant> &a) {
        return a.at(0).value<BatchWriter::StateInfo>().state == BatchWriter::State::Blocked;
    }));
    QCOMPARE(rig.refusals->dead.size(), std::size_t(0));
    rig.push(2, 2);
    QTRY_COMPARE(rig.refusals->stored.size(), std::size_t(1));
    QCOMPARE(rig.refusals->dead.size(), std::size_t(1));
    QCOMPARE(rig.counters.inFlight(), std::uint64_t(0));
}

QTEST_GUILESS_MAIN(TstBatchWriter)
#include "tst_batchwriter.moc"
