// SPDX-License-Identifier: MIT
// Batch past 4 GiB: offsets of 32 bits paired the topics and payloads of later messages with the wrong bytes once a
// batch or a transaction (group commit, a read-back, a bisection's extension) held more than that. It must really
// hold that much to prove it, so this test allocates about 4 GiB and carries the label "slow"
// (IOT_TEST_SLOW=1 scripts/test.sh -R tst_batchlarge).
#include "pipeline/batch.h"

#include <QTest>

#include <sys/mman.h>

using namespace iot;

class TstBatchLarge final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void messagesBeyond4GiBKeepTheirBytes();
};

void TstBatchLarge::messagesBeyond4GiBKeepTheirBytes()
{
    // One payload of the largest size an entry holds (4 GiB - 1), read from untouched anonymous pages so that only
    // the batch's copy takes memory; with its topic it ends past 4 GiB.
    constexpr std::size_t Big = (std::size_t(1) << 32) - 1;
    void *zeros = ::mmap(nullptr, Big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    QVERIFY(zeros != MAP_FAILED);
    const QByteArrayView bigPayload(static_cast<const char *>(zeros), qsizetype(Big));

    Batch batch;
    batch.reserve(4, Big + 4096);
    batch.append("big/1", bigPayload, 1);
    batch.append("small/2", "{\"n\":2}", 2);  // starts past 4 GiB
    QVERIFY(batch.bytes() > (std::size_t(1) << 32) + 8);
    Batch tail;
    tail.append("small/3", "{\"n\":3}", 3);
    batch.appendAll(tail);  // shifted past 4 GiB
    ::munmap(zeros, Big);

    QCOMPARE(batch.size(), std::size_t(3));
    QCOMPARE(batch.topic(0), QByteArrayView("big/1"));
    QCOMPARE(std::size_t(batch.payload(0).size()), Big);
    QCOMPARE(batch.topic(1), QByteArrayView("small/2"));
    QCOMPARE(batch.payload(1), QByteArrayView("{\"n\":2}"));
    QCOMPARE(batch.topic(2), QByteArrayView("small/3"));
    QCOMPARE(batch.payload(2), QByteArrayView("{\"n\":3}"));
    QCOMPARE(batch.receivedAtUs(2), std::int64_t(3));
}

QTEST_APPLESS_MAIN(TstBatchLarge)
#include "tst_batchlarge.moc"
