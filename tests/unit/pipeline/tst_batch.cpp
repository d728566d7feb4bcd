// SPDX-License-Identifier: MIT
#include "pipeline/batch.h"
#include "pipeline/batchqueue.h"

#include <QDeadlineTimer>
#include <QList>
#include <QTest>

#include <atomic>
#include <thread>

using namespace iot;

namespace {

// Message number `n`: a topic and a payload that both carry the number, and the number as receive time.
QByteArray topicOf(int n)
{
    return "sensors/" + QByteArray::number(n % 7) + "/temp";
}

QByteArray payloadOf(int n)
{
    return "{\"n\":" + QByteArray::number(n) + '}';
}

void appendNumbered(Batch &batch, int n)
{
    batch.append(topicOf(n), payloadOf(n), 1000000LL * n + 17);
}

Batch numbered(int first, int count)
{
    Batch batch;
    for (int n = first; n < first + count; ++n)
        appendNumbered(batch, n);
    return batch;
}

// Checks that `batch` holds exactly the messages first, first + 1, ... in order; returns a failure text or empty.
QByteArray checkNumbered(const Batch &batch, int first, int count)
{
    if (batch.size() != static_cast<std::size_t>(count))
        return "size " + QByteArray::number(qulonglong(batch.size())) + ", expected " + QByteArray::number(count);
    std::size_t bytes = 0;
    for (int i = 0; i < count; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        const int n = first + i;
        if (batch.topic(idx) != topicOf(n) || batch.payload(idx) != payloadOf(n)
            || batch.receivedAtUs(idx) != 1000000LL * n + 17) {
            return "message " + QByteArray::number(i) + " is " + batch.topic(idx).toByteArray() + ' '
                + batch.payload(idx).toByteArray() + ", expected number " + QByteArray::number(n);
        }
        bytes += static_cast<std::size_t>(topicOf(n).size() + payloadOf(n).size());
    }
    if (batch.bytes() != bytes)
        return "bytes() " + QByteArray::number(qulonglong(batch.bytes())) + ", expected "
            + QByteArray::number(qulonglong(bytes));
    return {};
}

#define CHECK_NUMBERED(batch, first, count)                                                                          \
    do {                                                                                                             \
        const QByteArray failure_ = checkNumbered(batch, first, count);                                              \
        QVERIFY2(failure_.isEmpty(), failure_.constData());                                                          \
    } while (false)

} // namespace

/// Batch (messages packed into one buffer) and BatchQueue (hand-over of whole batches between threads).
/// Runs on the test's main thread, plus one producer std::thread in twoThreads().
class TstBatch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void emptyBatch();
    void appendAll_data();
    void appendAll();
    void appendAllLeavesSourceReusable();
    void appendCopiesFromAnotherBatch();
    void clear();

    void pushReportsEmptyQueue();
    void pushIgnoresEmptyBatch();
    void takeUpTo_data();
    void takeUpTo();
    void takeUpToFromEmptyQueue();
    void pushFrontKeepsOrder();
    void messagesCount();
    void twoThreads_data();
    void twoThreads();
};

void TstBatch::roundTrip_data()
{
    QTest::addColumn<QByteArray>("topic");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<qint64>("receivedAtUs");
    QTest::newRow("JSON") << QByteArray("sensors/roof/temp") << QByteArray("{\"t\":21.5}") << qint64(1795746065123456);
    QTest::newRow("empty payload") << QByteArray("sensors/roof/empty") << QByteArray() << qint64(1);
    QTest::newRow("empty topic") << QByteArray() << QByteArray("x") << qint64(0);
    QTest::newRow("binary bytes") << QByteArray("bin") << QByteArray("\0\x01\xff\xfe\0\x80 end", 10) << qint64(-5);
    QTest::newRow("UTF-8 topic") << QByteArray("sensors/z\xc3\xbcrich") << QByteArray("[1,2]") << qint64(42);
    QTest::newRow("64 KiB payload") << QByteArray("big") << QByteArray(65536, 'a') << qint64(7);
}

void TstBatch::roundTrip()
{
    QFETCH(QByteArray, topic);
    QFETCH(QByteArray, payload);
    QFETCH(qint64, receivedAtUs);
    // Neighbours on both sides: the offsets of the middle message must not bleed into them.
    Batch batch;
    batch.append("before", "b", 11);
    batch.append(topic, payload, receivedAtUs);
    batch.append("after", "a", 33);
    QCOMPARE(batch.size(), std::size_t(3));
    QVERIFY(!batch.isEmpty());
    QCOMPARE(batch.topic(1).toByteArray(), topic);
    QCOMPARE(batch.payload(1).toByteArray(), payload);
    QCOMPARE(batch.payload(1).size(), payload.size());
    QCOMPARE(batch.receivedAtUs(1), receivedAtUs);
    QCOMPARE(batch.entry(1).topicSize, std::uint32_t(topic.size()));
    QCOMPARE(batch.entry(1).payloadSize, std::uint32_t(payload.size()));
    QCOMPARE(batch.topic(0), QByteArrayView("before"));
    QCOMPARE(batch.payload(0), QByteArrayView("b"));
    QCOMPARE(batch.topic(2), QByteArrayView("after"));
    QCOMPARE(batch.payload(2), QByteArrayView("a"));
    QCOMPARE(batch.receivedAtUs(2), qint64(33));
    QCOMPARE(batch.firstReceivedAtUs(), qint64(11));
    QCOMPARE(batch.bytes(), std::size_t(6 + 1 + topic.size() + payload.size() + 5 + 1));
}

void TstBatch::emptyBatch()
{
    Batch batch;
    QVERIFY(batch.isEmpty());
    QCOMPARE(batch.size(), std::size_t(0));
    QCOMPARE(batch.bytes(), std::size_t(0));
    QCOMPARE(batch.firstReceivedAtUs(), qint64(0));
    batch.reserve(100, 4096);
    QVERIFY(batch.isEmpty());
    QCOMPARE(batch.bytes(), std::size_t(0));
}

void TstBatch::appendAll_data()
{
    QTest::addColumn<int>("destination");
    QTest::addColumn<int>("source");
    QTest::newRow("empty into empty") << 0 << 0;
    QTest::newRow("3 into empty") << 0 << 3;
    QTest::newRow("empty into 2") << 2 << 0;
    QTest::newRow("3 into 2") << 2 << 3;
    QTest::newRow("1 into 5") << 5 << 1;
    QTest::newRow("500 into 300") << 300 << 500;
}

void TstBatch::appendAll()
{
    QFETCH(int, destination);
    QFETCH(int, source);
    Batch into = numbered(0, destination);
    const Batch from = numbered(destination, source);
    into.appendAll(from);
    CHECK_NUMBERED(into, 0, destination + source);
    if (destination + source > 0)
        QCOMPARE(into.firstReceivedAtUs(), qint64(17));
    // The source is only read.
    CHECK_NUMBERED(from, destination, source);
}

void TstBatch::appendAllLeavesSourceReusable()
{
    Batch into = numbered(0, 2);
    Batch from = numbered(2, 2);
    into.appendAll(from);
    // The copied batch is cleared and filled again, as BatchQueue recycles batches for the Batcher.
    from.clear();
    QVERIFY(from.isEmpty());
    appendNumbered(from, 4);
    appendNumbered(from, 5);
    CHECK_NUMBERED(from, 4, 2);
    into.appendAll(from);
    CHECK_NUMBERED(into, 0, 6);

    Batch empty;
    empty.appendAll(into);
    CHECK_NUMBERED(empty, 0, 6);
    into.clear();
    appendNumbered(into, 6);
    CHECK_NUMBERED(into, 6, 1);
}

void TstBatch::appendCopiesFromAnotherBatch()
{
    Batch source;
    source.append("a", "first", 1, 10);
    source.append("b", QByteArrayView(), 2, 20);
    source.append("c", QByteArrayView("\0bin", 4), 3, 30);
    Batch target = numbered(0, 2);
    for (std::size_t i : {2, 1, 0})
        target.append(source.topic(i), source.payload(i), source.receivedAtUs(i), source.spoolEnd(i));
    QCOMPARE(target.size(), std::size_t(5));
    QCOMPARE(target.topic(2), QByteArrayView("c"));
    QCOMPARE(target.payload(2), QByteArrayView("\0bin", 4));
    QCOMPARE(target.receivedAtUs(2), qint64(3));
    QCOMPARE(target.spoolEnd(2), std::uint64_t(30));
    QCOMPARE(target.topic(3), QByteArrayView("b"));
    QVERIFY(target.payload(3).isEmpty());
    QCOMPARE(target.receivedAtUs(3), qint64(2));
    QCOMPARE(target.topic(4), QByteArrayView("a"));
    QCOMPARE(target.payload(4), QByteArrayView("first"));
    QCOMPARE(target.receivedAtUs(4), qint64(1));
    QCOMPARE(target.lastSpoolEnd(), std::uint64_t(10));
    QCOMPARE(target.topic(1).toByteArray(), topicOf(1));
    QCOMPARE(target.payload(1).toByteArray(), payloadOf(1));
    // The source is only read.
    QCOMPARE(source.size(), std::size_t(3));
    QCOMPARE(source.payload(0), QByteArrayView("first"));
}

void TstBatch::clear()
{
    Batch batch = numbered(0, 4);
    batch.clear();
    QVERIFY(batch.isEmpty());
    QCOMPARE(batch.bytes(), std::size_t(0));
    QCOMPARE(batch.firstReceivedAtUs(), qint64(0));
    appendNumbered(batch, 9);
    CHECK_NUMBERED(batch, 9, 1);
}

void TstBatch::pushReportsEmptyQueue()
{
    BatchQueue queue;
    QVERIFY(queue.isEmpty());
    QVERIFY(queue.push(numbered(0, 2)));
    QVERIFY(!queue.push(numbered(2, 2)));
    QVERIFY(!queue.push(numbered(4, 1)));
    Batch out;
    QVERIFY(queue.takeUpTo(1000, out));
    QVERIFY(queue.isEmpty());
    QVERIFY(queue.push(numbered(5, 1)));
    // A batch put back at the head makes the queue non-empty as well.
    Batch first;
    QVERIFY(queue.takeUpTo(1000, first));
    queue.pushFront(std::move(first));
    QVERIFY(!queue.push(numbered(6, 1)));
}

void TstBatch::pushIgnoresEmptyBatch()
{
    BatchQueue queue;
    QVERIFY(!queue.push(Batch()));
    QVERIFY(queue.isEmpty());
    Batch out;
    QVERIFY(!queue.takeUpTo(100, out));
    queue.pushFront(Batch());
    QVERIFY(!queue.takeUpTo(100, out));
    // The empty batch did not count as a queued one: the next real batch still reports the wake-up.
    QVERIFY(queue.push(numbered(0, 1)));
}

void TstBatch::takeUpTo_data()
{
    QTest::addColumn<QList<int>>("batches");   // sizes of the queued batches
    QTest::addColumn<int>("already");          // rows already in the output batch
    QTest::addColumn<int>("maxRows");
    QTest::addColumn<int>("expectedRows");     // rows in the output afterwards
    QTest::newRow("two of three fit exactly") << QList<int>{3, 3, 3} << 0 << 6 << 6;
    QTest::newRow("a third does not fit in 8") << QList<int>{3, 3, 3} << 0 << 8 << 6;
    QTest::newRow("all fit exactly") << QList<int>{3, 3, 3} << 0 << 9 << 9;
    QTest::newRow("all fit with room") << QList<int>{3, 3, 3} << 0 << 100 << 9;
    QTest::newRow("second does not fit in 5") << QList<int>{3, 3, 3} << 0 << 5 << 3;
    QTest::newRow("first alone exceeds the cap") << QList<int>{10, 1} << 0 << 5 << 10;
    QTest::newRow("cap 0 still takes one") << QList<int>{3, 3} << 0 << 0 << 3;
    QTest::newRow("small ones after a big one") << QList<int>{2, 1, 1, 5, 1} << 0 << 4 << 4;
    QTest::newRow("output rows count against the cap") << QList<int>{3, 3} << 4 << 7 << 7;
    QTest::newRow("full output still takes one") << QList<int>{3, 3} << 10 << 5 << 13;
    QTest::newRow("single batch") << QList<int>{1} << 0 << 1 << 1;
}

void TstBatch::takeUpTo()
{
    QFETCH(QList<int>, batches);
    QFETCH(int, already);
    QFETCH(int, maxRows);
    QFETCH(int, expectedRows);
    BatchQueue queue;
    int total = 0;
    for (int size : batches) {
        queue.push(numbered(already + total, size));
        total += size;
    }
    QCOMPARE(queue.messages(), std::size_t(total));
    Batch out = numbered(0, already);
    QVERIFY(queue.takeUpTo(std::size_t(maxRows), out));
    CHECK_NUMBERED(out, 0, expectedRows);
    const int left = already + total - expectedRows;
    QCOMPARE(queue.messages(), std::size_t(left));
    QCOMPARE(queue.isEmpty(), left == 0);
    // Whatever is left comes out next, in order.
    if (left > 0) {
        Batch rest;
        QVERIFY(queue.takeUpTo(std::size_t(left), rest));
        CHECK_NUMBERED(rest, expectedRows, left);
        QVERIFY(queue.isEmpty());
    }
}

void TstBatch::takeUpToFromEmptyQueue()
{
    BatchQueue queue;
    Batch out = numbered(0, 3);
    QVERIFY(!queue.takeUpTo(100, out));
    CHECK_NUMBERED(out, 0, 3);
}

void TstBatch::pushFrontKeepsOrder()
{
    BatchQueue queue;
    queue.push(numbered(0, 4));
    queue.push(numbered(4, 3));
    Batch head;
    QVERIFY(queue.takeUpTo(4, head));
    CHECK_NUMBERED(head, 0, 4);
    QCOMPARE(queue.messages(), std::size_t(3));
    // The writer failed: the batch goes back in front of the one still queued.
    queue.pushFront(std::move(head));
    QCOMPARE(queue.messages(), std::size_t(7));
    queue.push(numbered(7, 2));
    Batch all;
    QVERIFY(queue.takeUpTo(100, all));
    CHECK_NUMBERED(all, 0, 9);
    QVERIFY(queue.isEmpty());
}

void TstBatch::messagesCount()
{
    BatchQueue queue;
    QCOMPARE(queue.messages(), std::size_t(0));
    queue.push(numbered(0, 5));
    QCOMPARE(queue.messages(), std::size_t(5));
    queue.push(numbered(5, 7));
    QCOMPARE(queue.messages(), std::size_t(12));
    queue.pushFront(numbered(100, 2));
    QCOMPARE(queue.messages(), std::size_t(14));
    Batch out;
    QVERIFY(queue.takeUpTo(2, out));
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(queue.messages(), std::size_t(12));
    out.clear();
    QVERIFY(queue.takeUpTo(5, out));
    QCOMPARE(queue.messages(), std::size_t(7));
    QVERIFY(!queue.isEmpty());
    out.clear();
    QVERIFY(queue.takeUpTo(7, out));
    QCOMPARE(queue.messages(), std::size_t(0));
    QVERIFY(queue.isEmpty());
}

void TstBatch::twoThreads_data()
{
    QTest::addColumn<int>("capCycle");      // takes use caps 1, 2, ... capCycle, 1, 2, ...
    QTest::addColumn<int>("pushBackEvery"); // every n-th take is put back with pushFront (0: never)
    QTest::newRow("varying caps, put back every 5th") << 37 << 5;
    QTest::newRow("one batch per take") << 1 << 0;
    QTest::newRow("large caps, put back every 3rd") << 1000 << 3;
    QTest::newRow("varying caps, never put back") << 23 << 0;
}

void TstBatch::twoThreads()
{
    QFETCH(int, capCycle);
    QFETCH(int, pushBackEvery);
    constexpr int Batches = 1000;
    constexpr int PerBatch = 10;
    constexpr int Total = Batches * PerBatch;
    BatchQueue queue;
    std::atomic<int> wakeUps{0};
    std::thread producer([&queue, &wakeUps] {
        for (int b = 0; b < Batches; ++b) {
            if (queue.push(numbered(b * PerBatch, PerBatch)))
                wakeUps.fetch_add(1, std::memory_order_relaxed);
        }
    });

    QList<int> seen;
    seen.reserve(Total);
    QDeadlineTimer deadline(30000);
    int takes = 0;
    while (seen.size() < Total && !deadline.hasExpired()) {
        Batch out;
        // Varying caps, so that takes merge different numbers of batches.
        if (!queue.takeUpTo(std::size_t(1 + takes % capCycle), out)) {
            std::this_thread::yield();
            continue;
        }
        ++takes;
        if (pushBackEvery > 0 && takes % pushBackEvery == 0) {
            // A failed write: the rows go back to the head and must come out again first.
            queue.pushFront(std::move(out));
            continue;
        }
        for (std::size_t i = 0; i < out.size(); ++i)
            seen.append(out.payload(i).toByteArray().mid(5).chopped(1).toInt());
    }
    producer.join();
    QCOMPARE(seen.size(), Total);
    for (int i = 0; i < Total; ++i) {
        if (seen.at(i) != i)
            QFAIL(qPrintable(QStringLiteral("message %1 arrived as number %2").arg(i).arg(seen.at(i))));
    }
    QVERIFY(queue.isEmpty());
    QVERIFY(wakeUps.load() >= 1);
}

QTEST_APPLESS_MAIN(TstBatch)
#include "tst_batch.moc"
