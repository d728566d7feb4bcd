// SPDX-License-Identifier: MIT
// The pure part of splitting a refused transaction: halves stay in spool order with their dead letters, the first
// half's checkpoint never covers a row of the second, and probe rows spread over the candidates.
#include "pipeline/bisection.h"

#include <QTest>

using namespace iot;

class TstBisection final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void halvesKeepOrderAndCheckpoints();
    void probesSpreadOverTheCandidates_data();
    void probesSpreadOverTheCandidates();
    void provenIsPerTableAndPerSplit();
};

void TstBisection::halvesKeepOrderAndCheckpoints()
{
    Batch b;
    for (int i = 0; i < 10; ++i)
        b.append("t", "{}", i, std::uint64_t(i + 1) * 10);  // row i ends at position 10 * (i + 1)
    WriteSet piece;
    piece.batch = &b;
    piece.good = {0, 1, 2, 4, 5, 7, 8};
    piece.dead = {{3, QStringLiteral("a")}, {6, QStringLiteral("b")}, {9, QStringLiteral("c")}};
    piece.checkpoint = 100;
    const WriteSet second = Bisection::halve(piece);
    // Ten rows: the split is at row 5.
    QCOMPARE(piece.good, (std::vector<std::uint32_t>{0, 1, 2, 4}));
    QCOMPARE(piece.dead.size(), std::size_t(1));
    QCOMPARE(piece.dead[0].row, std::uint32_t(3));
    QCOMPARE(second.good, (std::vector<std::uint32_t>{5, 7, 8}));
    QCOMPARE(second.dead.size(), std::size_t(2));
    QCOMPARE(second.dead[1].reason, QStringLiteral("c"));
    QCOMPARE(piece.checkpoint, std::uint64_t(50));  // just after row 4
    QCOMPARE(second.checkpoint, std::uint64_t(100));
    QVERIFY(piece.bisecting && second.bisecting);
    QCOMPARE(second.batch, &b);
}

void TstBisection::probesSpreadOverTheCandidates_data()
{
    QTest::addColumn<QList<int>>("candidates");
    QTest::addColumn<QList<int>>("picked");
    QTest::newRow("none") << QList<int>{} << QList<int>{};
    QTest::newRow("one") << QList<int>{7} << QList<int>{7};
    QTest::newRow("two") << QList<int>{7, 9} << QList<int>{7, 9};
    QTest::newRow("eight") << QList<int>{1, 2, 3, 4, 5, 6, 7, 8} << QList<int>{1, 3, 5, 7};
}

void TstBisection::probesSpreadOverTheCandidates()
{
    QFETCH(QList<int>, candidates);
    QFETCH(QList<int>, picked);
    const std::vector<std::uint32_t> in(candidates.begin(), candidates.end());
    const std::vector<std::uint32_t> out = Bisection::probes(in, 4);
    QCOMPARE(QList<int>(out.begin(), out.end()), picked);
}

void TstBisection::provenIsPerTableAndPerSplit()
{
    Bisection b;
    b.begin(3);
    QVERIFY(!b.proven(0));
    b.noteCommitted(2);
    QVERIFY(b.proven(2));
    QVERIFY(!b.proven(1));
    QVERIFY(!b.proven(7));  // no such table
    b.begin(3);             // a new split forgets
    QVERIFY(!b.proven(2));
}

QTEST_APPLESS_MAIN(TstBisection)
#include "tst_bisection.moc"
