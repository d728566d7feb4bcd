// SPDX-License-Identifier: MIT
// SessionTakeover: a broker that keeps taking our session over (another live client with our client id) is told
// from a flaky network — MQTT 5's reason 0x8E at once, 3.1.1's short sessions after a few in a row; a session that
// lasts, or a long one that ends, clears it. The clock is passed in.
#include "mqtt/sessiontakeover.h"

#include <QTest>

using namespace iot;

namespace {

constexpr std::int64_t S = 1'000'000;
constexpr int ConnLost = 7;  // MOSQ_ERR_CONN_LOST: what a 3.1.1 client sees when the broker closes the socket

} // namespace

class TstSessionTakeover final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shortSessionsInARowAreATakeover();
    void reason0x8EIsATakeoverAtOnce();
    void aLongSessionIsNot();
    void aSessionThatLastsClearsIt();
    void aFailedAttemptIsNoSession();
};

void TstSessionTakeover::shortSessionsInARowAreATakeover()
{
    SessionTakeover t;
    std::int64_t now = 100 * S;
    for (int i = 1; i < SessionTakeover::ShortSessionsToSuspect; ++i) {
        t.connected(now);
        now += 1 * S;
        QVERIFY(!t.lost(now, ConnLost));
        QVERIFY(!t.suspected());
        now += 1 * S;
    }
    t.connected(now);
    QVERIFY(t.lost(now + S, ConnLost));  // the suspicion starts here: warned once
    QVERIFY(t.suspected());
    QVERIFY(!t.brokerSaidSo());
    QCOMPARE(t.shortSessions(), SessionTakeover::ShortSessionsToSuspect);
    t.connected(now + 2 * S);
    QVERIFY(!t.lost(now + 3 * S, ConnLost));  // still suspected, not a new warning
    QVERIFY(t.suspected());
    QCOMPARE(t.shortSessions(), SessionTakeover::ShortSessionsToSuspect + 1);
}

void TstSessionTakeover::reason0x8EIsATakeoverAtOnce()
{
    SessionTakeover t;
    t.connected(0);
    // Even after a long session: the broker says who ended it.
    QVERIFY(t.lost(SessionTakeover::ShortSessionUs * 3, SessionTakeover::SessionTakenOverReason));
    QVERIFY(t.suspected());
    QVERIFY(t.brokerSaidSo());
    QCOMPARE(t.shortSessions(), 1);
}

void TstSessionTakeover::aLongSessionIsNot()
{
    SessionTakeover t;
    std::int64_t now = 0;
    for (int i = 0; i < 10; ++i) {
        t.connected(now);
        now += SessionTakeover::ShortSessionUs + S;
        QVERIFY(!t.lost(now, ConnLost));
    }
    QVERIFY(!t.suspected());
    QCOMPARE(t.shortSessions(), 0);
}

void TstSessionTakeover::aSessionThatLastsClearsIt()
{
    SessionTakeover t;
    std::int64_t now = 0;
    for (int i = 0; i < SessionTakeover::ShortSessionsToSuspect; ++i) {
        t.connected(now);
        t.lost(now += S, ConnLost);
    }
    QVERIFY(t.suspected());
    t.connected(now);
    t.settled();  // MqttClient's timer: the session lasted ShortSessionUs
    QVERIFY(!t.suspected());
    QCOMPARE(t.shortSessions(), 0);
    QVERIFY(!t.lost(now + SessionTakeover::ShortSessionUs + S, ConnLost));
}

void TstSessionTakeover::aFailedAttemptIsNoSession()
{
    SessionTakeover t;
    for (int i = 0; i < 10; ++i)
        QVERIFY(!t.lost(i * S, ConnLost));  // never connected: a refused attempt
    QVERIFY(!t.suspected());
}

QTEST_APPLESS_MAIN(TstSessionTakeover)
#include "tst_sessiontakeover.moc"
