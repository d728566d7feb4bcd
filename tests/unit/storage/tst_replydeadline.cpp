// SPDX-License-Identifier: MIT
// ReplyDeadline on a socket pair: a read blocked past the deadline ends (end of file) and says so; a round trip
// disarmed or re-armed in time is left alone; interrupt() cuts at once from another thread, and every round trip and
// socket after it.
#include "storage/replydeadline.h"

#include <QElapsedTimer>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace iot;
using namespace std::chrono_literals;

namespace {

struct SocketPair
{
    int ours = -1;
    int peer = -1;
    SocketPair()
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
            ours = fds[0];
            peer = fds[1];
        }
    }
    ~SocketPair()
    {
        ::close(ours);
        ::close(peer);
    }
    /// A blocking read, as libpq's wait for a reply: the byte count (0: end of file).
    ssize_t read() const
    {
        char c;
        return ::recv(ours, &c, 1, 0);
    }
    /// Whether the connection still carries a byte from the peer.
    bool works() const
    {
        return ::send(peer, "x", 1, MSG_NOSIGNAL) == 1 && read() == 1;
    }
};

} // namespace

class TstReplyDeadline final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void passedDeadlineCutsTheBlockedRead();
    void disarmedOrReArmedInTimeIsLeftAlone();
    void interruptCutsNowAndLater();
};

void TstReplyDeadline::passedDeadlineCutsTheBlockedRead()
{
    SocketPair s;
    ReplyDeadline d;
    d.setSocket(s.ours);
    QElapsedTimer clock;
    clock.start();
    d.arm(150ms);
    QCOMPARE(s.read(), ssize_t(0));  // without the deadline: blocked for good
    d.disarm();
    QVERIFY2(clock.elapsed() >= 140 && clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(d.expired());
}

void TstReplyDeadline::disarmedOrReArmedInTimeIsLeftAlone()
{
    SocketPair s;
    ReplyDeadline d;
    d.setSocket(s.ours);
    d.arm(100ms);
    d.disarm();
    QTest::qSleep(300);
    QVERIFY(!d.expired());
    QVERIFY(s.works());

    d.arm(200ms);
    QTest::qSleep(100);
    d.arm(600ms);  // the next round trip: its own deadline, not the first one's
    QTest::qSleep(300);
    QVERIFY(!d.expired());
    QVERIFY(s.works());
    d.disarm();
}

void TstReplyDeadline::interruptCutsNowAndLater()
{
    SocketPair s;
    ReplyDeadline d;
    d.setSocket(s.ours);
    d.arm(1h);
    std::thread other([&d] {
        std::this_thread::sleep_for(100ms);
        d.interrupt();
    });
    QCOMPARE(s.read(), ssize_t(0));
    other.join();
    QVERIFY(d.expired());

    // A connection made after the interrupt is cut as it is handed over, and every round trip counts as cut.
    SocketPair next;
    d.setSocket(next.ours);
    QCOMPARE(next.read(), ssize_t(0));
    d.arm(1h);
    QVERIFY(d.expired());
}

QTEST_APPLESS_MAIN(TstReplyDeadline)
#include "tst_replydeadline.moc"
