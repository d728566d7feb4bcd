// SPDX-License-Identifier: MIT
#include "mqtt/heldmessages.h"

#include <QTest>

using namespace iot;

class TstHeldMessages final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepsArrivalOrder();
    void dropsOnlyQos1();
    void fullByBytes();
};

void TstHeldMessages::keepsArrivalOrder()
{
    HeldMessages held(1 << 20);
    for (int i = 0; i < 3; ++i)
        held.add(QByteArray(QByteArray("t/") + QByteArray::number(i)), QByteArray::number(i), 1);
    QCOMPARE(held.count(), std::size_t(3));
    QByteArray topic;
    QByteArray payload;
    for (int i = 0; i < 3; ++i) {
        QVERIFY(held.takeFirst(topic, payload));
        QCOMPARE(payload, QByteArray::number(i));
    }
    QVERIFY(!held.takeFirst(topic, payload));
    QCOMPARE(held.bytes(), std::int64_t(0));
}

void TstHeldMessages::dropsOnlyQos1()
{
    HeldMessages held(1 << 20);
    held.add("a", "1", 1);
    held.add("a", "2", 0);     // QoS 0: never sent again, so never dropped
    held.add("a", "3", 1);
    held.add("a", "4", 2);     // QoS 2: handed out once its exchange is done, not sent again either
    held.add("a", "5", 1);
    QCOMPARE(held.dropUnacknowledged(), std::size_t(3));
    QByteArray topic;
    QByteArray payload;
    QList<QByteArray> left;
    while (held.takeFirst(topic, payload))
        left << payload;
    QCOMPARE(left, (QList<QByteArray>{"2", "4"}));
    QCOMPARE(held.bytes(), std::int64_t(0));
}

void TstHeldMessages::fullByBytes()
{
    HeldMessages held(10000);
    int added = 0;
    while (!held.full()) {
        held.add("t", QByteArray(1000, 'x'), 1);
        ++added;
    }
    QCOMPARE(added, 10);   // 1,001 bytes plus the per-message overhead each
    QByteArray topic;
    QByteArray payload;
    QVERIFY(held.takeFirst(topic, payload));
    QVERIFY(!held.full());
}

QTEST_APPLESS_MAIN(TstHeldMessages)
#include "tst_heldmessages.moc"
