// SPDX-License-Identifier: MIT
// The spool's life cycle — append, the scan at open, read-back, release of whole segments, damage skipped and
// reported, one process per directory — and the spool when the disk says no: space is reserved ahead of the write
// position (so a full disk is an append that fails, never a SIGBUS), a refused reservation or sync is a state that
// holds until recover() succeeds, and what was written before stays readable. The disk's answers come through
// Spool::Disk, made to fail on cue. And the spool as a target: files 0600 and directory 0700 whatever the umask, a
// directory someone else owns or can write refused (an Error marked fatal: exit 2), a symlinked segment or LOCK
// refused rather than followed.
#include "pipeline/batch.h"
#include "spool/spool.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <memory>
#include <vector>

using namespace iot;

namespace {

/// A disk that passes calls on to the real one until told to refuse.
struct ScriptedDisk
{
    int reserveError = 0;       // returned instead of reserving, while non-zero
    int syncError = 0;          // returned instead of syncing, while non-zero
    std::vector<std::pair<std::uint64_t, std::uint64_t>> reserved;  // (offset, length) of each call that went through
    int reserveCalls = 0;
    int syncCalls = 0;

    Spool::Disk disk()
    {
        return {[this](int fd, std::uint64_t offset, std::uint64_t length) {
                    ++reserveCalls;
                    if (reserveError)
                        return reserveError;
                    reserved.emplace_back(offset, length);
                    return ::posix_fallocate(fd, off_t(offset), off_t(length));
                },
                [this](int fd) {
                    ++syncCalls;
                    return syncError ? syncError : (::fdatasync(fd) == 0 ? 0 : errno);
                }};
    }
};

QByteArray payloadOf(int n)
{
    return "{\"seq\":" + QByteArray::number(n) + ",\"pad\":\"" + QByteArray(100, 'x') + "\"}";
}

std::unique_ptr<Spool> openSpool(const QString &dir, ScriptedDisk &disk, std::uint64_t segmentBytes = 1 << 20)
{
    Spool::Options o;
    o.dir = dir;
    o.segmentBytes = segmentBytes;
    o.reserveStep = 64 << 10;
    o.disk = disk.disk();
    auto opened = Spool::open(o);
    return opened ? std::move(opened).value() : nullptr;
}

/// The seq numbers of every record in the spool, in order.
QList<int> seqsIn(Spool &spool)
{
    Batch all;
    spool.read(spool.startPosition(), spool.endPosition(), 1000000, all);
    QList<int> seqs;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const QByteArrayView p = all.payload(i);
        seqs << QByteArray(p.data(), p.size()).mid(7).split(',').constFirst().toInt();
    }
    return seqs;
}

/// Appends records first..last; returns the position after each.
std::vector<std::uint64_t> appendNumbered(Spool &spool, int first, int last)
{
    std::vector<std::uint64_t> ends;
    std::uint64_t end = 0;
    for (int n = first; n <= last; ++n) {
        if (!spool.append("s/1", payloadOf(n), n * 1000, end))
            break;
        ends.push_back(end);
    }
    return ends;
}

QList<int> range(int first, int last)
{
    QList<int> r;
    for (int i = first; i <= last; ++i)
        r << i;
    return r;
}

} // namespace

class TstSpool final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reopenScansWhatWasAppended();
    void readStopsAtTheLimitAndGoesOnFromNext();
    void readStopsAtTheByteLimit();
    void releaseDeletesWholeSegmentsOnly();
    void damageIsSkippedAndReported();
    void oneSpoolPerDirectory();
    void spaceIsReservedAheadInSteps();
    void refusedReservationIsAState_data();
    void refusedReservationIsAState();
    void refusedNewSegmentIsAState();
    void fullDiskWithOneSegmentRecoversOnceReleased();
    void failedSyncIsAStateUntilASyncSucceeds();
    void stateNames();
    void filesArePrivateWhateverTheUmask();
    void readableDirectoryAndSegmentsAreTightened();
    void unsafeDirectoryIsRefused_data();
    void unsafeDirectoryIsRefused();
    void symlinkIsRefusedNotFollowed_data();
    void symlinkIsRefusedNotFollowed();
};

void TstSpool::reopenScansWhatWasAppended()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    std::uint64_t end = 0;
    {
        auto spool = openSpool(dir.path(), disk, 64 << 10);
        QVERIFY(spool);
        QCOMPARE(spool->recovery().records, std::uint64_t(0));
        for (int n = 1; n <= 1000; ++n)
            QVERIFY(spool->append("s/1", payloadOf(n), n, end));
        QCOMPARE(spool->endPosition(), end);
        QVERIFY(spool->sync());
    }
    auto spool = openSpool(dir.path(), disk, 64 << 10);
    QVERIFY(spool);
    const Spool::Recovery &r = spool->recovery();
    QCOMPARE(r.records, std::uint64_t(1000));
    QVERIFY(r.segments > 1);  // ~150 KiB of records in 64 KiB segments
    QCOMPARE(r.damagedBytes, std::uint64_t(0));
    QVERIFY(r.problems.isEmpty());
    QCOMPARE(r.startPosition, std::uint64_t(0));
    QVERIFY(r.endPosition >= end);  // new records go to a fresh segment after the old ones
    QCOMPARE(seqsIn(*spool), range(1, 1000));
}

void TstSpool::readStopsAtTheLimitAndGoesOnFromNext()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk, 64 << 10);
    QVERIFY(spool);
    Batch b;  // what the writer reads into
    const std::vector<std::uint64_t> ends = appendNumbered(*spool, 1, 700);
    const std::uint64_t end = ends.back();
    QCOMPARE(ends.size(), std::size_t(700));
    const Spool::ReadResult first = spool->read(0, end, 300, b);
    QCOMPARE(first.records, std::size_t(300));
    QCOMPARE(first.next, ends[299]);
    QCOMPARE(b.size(), std::size_t(300));
    QCOMPARE(b.spoolEnd(299), ends[299]);  // each entry knows its position, for the checkpoint
    QCOMPARE(b.receivedAtUs(0), std::int64_t(1000));
    QCOMPARE(b.topic(0).toByteArray(), QByteArrayLiteral("s/1"));
    const Spool::ReadResult rest = spool->read(first.next, end, 100000, b);
    QCOMPARE(rest.records, std::size_t(400));  // across segment boundaries
    QCOMPARE(rest.damagedBytes, std::uint64_t(0));
    QCOMPARE(b.size(), std::size_t(700));
    QCOMPARE(b.payload(699).toByteArray(), payloadOf(700));
}

void TstSpool::readStopsAtTheByteLimit()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk, 64 << 10);
    QVERIFY(spool);
    const std::vector<std::uint64_t> ends = appendNumbered(*spool, 1, 700);
    // The writer's transaction cap in bytes: it stops once the records read hold that much (the one that crosses
    // the line included), and goes on from `next`.
    constexpr std::size_t MaxBytes = 4096;
    Batch b;
    const Spool::ReadResult first = spool->read(0, ends.back(), 100000, b, MaxBytes);
    QVERIFY2(b.memoryBytes() >= MaxBytes && b.memoryBytes() < MaxBytes + 100,
             qPrintable(QString::number(b.memoryBytes())));
    QVERIFY(first.records < 700);
    QCOMPARE(first.next, ends[first.records - 1]);
    // A limit smaller than one record still reads one.
    Batch one;
    QCOMPARE(spool->read(first.next, ends.back(), 100000, one, 1).records, std::size_t(1));
    QCOMPARE(one.payload(0).toByteArray(), payloadOf(int(first.records) + 1));
}

void TstSpool::releaseDeletesWholeSegmentsOnly()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk, 64 << 10);
    QVERIFY(spool);
    const std::vector<std::uint64_t> ends = appendNumbered(*spool, 1, 1500);
    QCOMPARE(ends.size(), std::size_t(1500));
    const auto segments = [&dir] { return QDir(dir.path()).entryList({QStringLiteral("*.seg")}, QDir::Files).size(); };
    const qsizetype before = segments();
    QVERIFY(before >= 4);
    // Committed up to record 700 (in the middle of a segment): only the segments wholly before it go.
    spool->release(ends[699]);
    QVERIFY(segments() < before);
    QVERIFY(spool->startPosition() <= ends[699]);
    QVERIFY(spool->startPosition() > 0);
    QCOMPARE(spool->bytesInUse(), spool->endPosition() - spool->startPosition());
    const QList<int> left = seqsIn(*spool);
    QVERIFY(!left.isEmpty() && left.first() <= 701);  // nothing uncommitted was deleted
    QCOMPARE(left.last(), 1500);
    QCOMPARE(left, range(left.first(), 1500));
    // The head segment stays, however far the checkpoint goes.
    spool->release(spool->endPosition());
    QCOMPARE(segments(), 1);
    std::uint64_t more = 0;
    QVERIFY(spool->append("s/1", payloadOf(1501), 1501, more));
}

void TstSpool::damageIsSkippedAndReported()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    std::vector<std::uint64_t> ends;
    {
        auto spool = openSpool(dir.path(), disk);
        QVERIFY(spool);
        ends = appendNumbered(*spool, 1, 300);
        QCOMPARE(ends.size(), std::size_t(300));
    }
    // A bit flip in record 100's payload (the first segment starts at position 0).
    const QStringList files = QDir(dir.path()).entryList({QStringLiteral("*.seg")}, QDir::Files, QDir::Name);
    QCOMPARE(files.size(), 1);
    QFile f(QDir(dir.path()).filePath(files.first()));
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(qint64(ends[99]) - 20));
    char c = 0;
    QVERIFY(f.getChar(&c));
    QVERIFY(f.seek(qint64(ends[99]) - 20));
    QVERIFY(f.putChar(char(c ^ 0x10)));
    f.close();

    auto spool = openSpool(dir.path(), disk);
    QVERIFY(spool);
    const Spool::Recovery &r = spool->recovery();
    QCOMPARE(r.records, std::uint64_t(299));
    QVERIFY(r.damagedBytes > 0);
    QCOMPARE(r.problems.size(), 1);
    QList<int> expected = range(1, 300);
    expected.removeOne(100);
    QCOMPARE(seqsIn(*spool), expected);
    Batch b;
    const Spool::ReadResult read = spool->read(0, ends.back(), 1000, b);
    QCOMPARE(read.records, std::size_t(299));
    QVERIFY(read.damagedBytes > 0);
}

void TstSpool::oneSpoolPerDirectory()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto first = openSpool(dir.path(), disk);
    QVERIFY(first);
    QVERIFY(!openSpool(dir.path(), disk));
    first.reset();
    QVERIFY(openSpool(dir.path(), disk));
}

void TstSpool::spaceIsReservedAheadInSteps()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk);
    QVERIFY(spool);
    std::uint64_t end = 0;
    for (int n = 1; n <= 3000; ++n) {
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
        // Never a byte written that is not reserved: the reservations are contiguous from 0 and cover `end`.
        std::uint64_t covered = 0;
        for (const auto &[offset, length] : disk.reserved) {
            QCOMPARE(offset, covered);
            covered += length;
        }
        QVERIFY2(covered >= end, qPrintable(QStringLiteral("%1 < %2").arg(covered).arg(end)));
    }
    // ~440 KiB of records in 64 KiB steps: one call per step, not per record.
    QCOMPARE(disk.reserveCalls, int((end + (64 << 10) - 1) / (64 << 10)));
    QCOMPARE(spool->state(), SpoolState::Ok);
    QCOMPARE(seqsIn(*spool), range(1, 3000));
}

void TstSpool::refusedReservationIsAState_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<SpoolState>("state");
    QTest::newRow("ENOSPC") << ENOSPC << SpoolState::DiskFull;
    QTest::newRow("EDQUOT") << EDQUOT << SpoolState::DiskFull;
    QTest::newRow("EIO") << EIO << SpoolState::WriteError;
}

void TstSpool::refusedReservationIsAState()
{
    QFETCH(int, error);
    QFETCH(SpoolState, state);
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk);
    QVERIFY(spool);
    std::uint64_t end = 0;
    int n = 1;
    for (; n <= 500; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    disk.reserveError = error;
    // Appends go on in the reserved step, then the next reservation is refused.
    while (spool->append("s/1", payloadOf(n), n, end))
        ++n;
    const int lastWritten = n - 1;
    QVERIFY(lastWritten > 500);
    QCOMPARE(spool->state(), state);
    QCOMPARE(spool->lastError(), error);
    QCOMPARE(spool->endPosition(), end);
    // While in that state, appends fail at once, without asking the disk per message.
    const int calls = disk.reserveCalls;
    for (int i = 0; i < 100; ++i)
        QVERIFY(!spool->append("s/1", payloadOf(n), n, end));
    QCOMPARE(disk.reserveCalls, calls);
    QVERIFY(!spool->recover());
    QCOMPARE(spool->state(), state);
    // What was written before stays readable.
    QCOMPARE(seqsIn(*spool), range(1, lastWritten));

    disk.reserveError = 0;
    QVERIFY(spool->recover());
    QCOMPARE(spool->state(), SpoolState::Ok);
    for (int i = 0; i < 100; ++i, ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    QCOMPARE(seqsIn(*spool), range(1, lastWritten) + range(lastWritten + 1, n - 1));
}

void TstSpool::refusedNewSegmentIsAState()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk, 64 << 10);  // one reservation step per segment
    QVERIFY(spool);
    std::uint64_t end = 0;
    int n = 1;
    for (; spool->endPosition() < (64 << 10) - 200; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    disk.reserveError = ENOSPC;
    while (spool->append("s/1", payloadOf(n), n, end))
        ++n;
    QCOMPARE(spool->state(), SpoolState::DiskFull);
    const int lastWritten = n - 1;
    disk.reserveError = 0;
    QVERIFY(spool->recover());
    for (int i = 0; i < 1000; ++i, ++n)  // several more segments
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    QCOMPARE(seqsIn(*spool), range(1, lastWritten) + range(lastWritten + 1, n - 1));
}

void TstSpool::fullDiskWithOneSegmentRecoversOnceReleased()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk);  // 1 MiB segments: all of the below fits in the first
    QVERIFY(spool);
    std::uint64_t end = 0;
    int n = 1;
    for (; n <= 500; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    disk.reserveError = ENOSPC;
    while (spool->append("s/1", payloadOf(n), n, end))
        ++n;
    const int lastWritten = n - 1;
    const std::uint64_t dataEnd = spool->endPosition();
    const auto segments = [&dir] {
        QList<qint64> sizes;
        for (const QFileInfo &f : QDir(dir.path()).entryInfoList({QStringLiteral("*.seg")}, QDir::Files, QDir::Name))
            sizes << f.size();
        return sizes;
    };
    QCOMPARE(segments(), QList<qint64>{1 << 20});

    // Still full. The head (the writer never releases a head) now ends at its last record, and a new one begins
    // there: positions go on without a gap.
    QVERIFY(!spool->recover());
    QCOMPARE(spool->state(), SpoolState::DiskFull);
    QCOMPARE(spool->endPosition(), dataEnd);
    QCOMPARE(segments(), (QList<qint64>{qint64(dataEnd), 1 << 20}));
    QCOMPARE(seqsIn(*spool), range(1, lastWritten));

    // The database commits everything: the old segment goes, its space comes back, and so does the spool.
    spool->release(dataEnd);
    QCOMPARE(spool->startPosition(), dataEnd);
    QCOMPARE(segments(), QList<qint64>{1 << 20});
    disk.reserveError = 0;
    QVERIFY(spool->recover());
    QCOMPARE(spool->state(), SpoolState::Ok);
    for (int i = 0; i < 100; ++i, ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    QCOMPARE(seqsIn(*spool), range(lastWritten + 1, n - 1));
}

void TstSpool::failedSyncIsAStateUntilASyncSucceeds()
{
    QTemporaryDir dir;
    ScriptedDisk disk;
    auto spool = openSpool(dir.path(), disk);
    QVERIFY(spool);
    std::uint64_t end = 0;
    for (int n = 1; n <= 100; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    QVERIFY(spool->sync());
    QCOMPARE(spool->syncFailures(), std::uint64_t(0));
    for (int n = 101; n <= 200; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    disk.syncError = EIO;
    QVERIFY(!spool->sync());
    QCOMPARE(spool->state(), SpoolState::SyncError);
    QCOMPARE(spool->lastError(), EIO);
    QCOMPARE(spool->syncFailures(), std::uint64_t(1));
    QVERIFY(!spool->append("s/1", payloadOf(201), 201, end));
    QVERIFY(!spool->recover());
    QCOMPARE(spool->syncFailures(), std::uint64_t(2));
    // The records the failed sync covered are still there to be read back.
    QCOMPARE(seqsIn(*spool), range(1, 200));

    disk.syncError = 0;
    QVERIFY(spool->recover());
    QCOMPARE(spool->state(), SpoolState::Ok);
    for (int n = 201; n <= 300; ++n)
        QVERIFY(spool->append("s/1", payloadOf(n), n, end));
    QVERIFY(spool->sync());
    QCOMPARE(seqsIn(*spool), range(1, 300));
}

void TstSpool::stateNames()
{
    QCOMPARE(QLatin1String(spoolStateName(SpoolState::Ok)), QLatin1String("ok"));
    QCOMPARE(QLatin1String(spoolStateName(SpoolState::DiskFull)), QLatin1String("disk_full"));
    QCOMPARE(QLatin1String(spoolStateName(SpoolState::WriteError)), QLatin1String("write_error"));
    QCOMPARE(QLatin1String(spoolStateName(SpoolState::SyncError)), QLatin1String("sync_error"));
}

namespace {

int modeOf(const QString &path)
{
    struct stat st = {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 07777) : -1;
}

Result<std::unique_ptr<Spool>> tryOpen(const QString &dir)
{
    Spool::Options o;
    o.dir = dir;
    o.segmentBytes = 1 << 20;
    return Spool::open(o);
}

} // namespace

void TstSpool::filesArePrivateWhateverTheUmask()
{
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("a/b/spool"));
    const mode_t was = ::umask(0);  // the widest: what we create must not depend on it
    auto opened = tryOpen(dir);
    ::umask(was);
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
    std::uint64_t end = 0;
    QVERIFY(opened.value()->append("s/1", payloadOf(1), 1, end));
    QCOMPARE(modeOf(dir), 0700);
    QCOMPARE(modeOf(dir + QStringLiteral("/LOCK")), 0600);
    const QStringList segments = QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files);
    QCOMPARE(segments.size(), 1);
    QCOMPARE(modeOf(dir + u'/' + segments.first()), 0600);
}

void TstSpool::readableDirectoryAndSegmentsAreTightened()
{
    // What versions before 0600/0700 left behind under a umask of 022: ours, readable by everyone.
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("spool"));
    {
        auto opened = tryOpen(dir);
        QVERIFY(opened);
        std::uint64_t end = 0;
        QVERIFY(opened.value()->append("s/1", payloadOf(1), 1, end));
        (void)opened.value()->sync();
    }
    const QString segment = dir + u'/' + QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files).first();
    QCOMPARE(::chmod(QFile::encodeName(dir).constData(), 0755), 0);
    QCOMPARE(::chmod(QFile::encodeName(segment).constData(), 0644), 0);
    auto again = tryOpen(dir);
    QVERIFY2(again, qPrintable(again ? QString() : again.error().message));
    QCOMPARE(modeOf(dir), 0700);
    QCOMPARE(modeOf(segment), 0600);
    QCOMPARE(again.value()->recovery().records, std::uint64_t(1));
}

void TstSpool::unsafeDirectoryIsRefused_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("foreign");
    QTest::addColumn<QString>("says");
    QTest::newRow("world-writable") << 0777 << false << QStringLiteral("writable by its group or by others (mode 0777)");
    QTest::newRow("world-writable, sticky") << 01777 << false << QStringLiteral("writable by its group or by others");
    QTest::newRow("group-writable") << 0770 << false << QStringLiteral("writable by its group or by others (mode 0770)");
    QTest::newRow("another user's") << 0700 << true << QStringLiteral("belongs to user id 65534");
}

void TstSpool::unsafeDirectoryIsRefused()
{
    QFETCH(int, mode);
    QFETCH(bool, foreign);
    QFETCH(QString, says);
    if (foreign && ::geteuid() != 0)
        QSKIP("giving the directory to another user needs root");
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("spool"));
    QVERIFY(QDir().mkpath(dir));
    QCOMPARE(::chmod(QFile::encodeName(dir).constData(), mode_t(mode)), 0);
    if (foreign)
        QCOMPARE(::chown(QFile::encodeName(dir).constData(), 65534, 65534), 0);  // nobody:nogroup
    auto opened = tryOpen(dir);
    QVERIFY(!opened);
    QVERIFY2(opened.error().message.contains(says), qPrintable(opened.error().message));
    QVERIFY2(opened.error().message.contains(dir), qPrintable(opened.error().message));
    QVERIFY(opened.error().fatal);  // the operator must fix it: exit 2, no restart loop
    // Nothing was created or changed in it.
    QCOMPARE(QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size(), 0);
    QCOMPARE(modeOf(dir), mode);
    if (foreign)
        QCOMPARE(::chown(QFile::encodeName(dir).constData(), 0, 0), 0);  // so QTemporaryDir can remove it
}

void TstSpool::symlinkIsRefusedNotFollowed_data()
{
    QTest::addColumn<QString>("link");
    QTest::newRow("the first segment") << QStringLiteral("00000000000000000000.seg");
    QTest::newRow("a later segment") << QStringLiteral("00000000000000065536.seg");
    QTest::newRow("dangling segment") << QStringLiteral("00000000000000000000.seg");
    QTest::newRow("LOCK") << QStringLiteral("LOCK");
}

void TstSpool::symlinkIsRefusedNotFollowed()
{
    QFETCH(QString, link);
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("spool"));
    QVERIFY(QDir().mkpath(dir));
    QCOMPARE(::chmod(QFile::encodeName(dir).constData(), 0700), 0);
    // A file the service may write, which a planted link would have it truncate, map and overwrite.
    const QString victim = tmp.filePath(QStringLiteral("victim"));
    const bool dangling = QByteArray(QTest::currentDataTag()).startsWith("dangling");
    if (!dangling) {
        QFile f(victim);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
    }
    QVERIFY(QFile::link(victim, dir + u'/' + link));
    auto opened = tryOpen(dir);
    QVERIFY(!opened);
    QVERIFY(opened.error().fatal);
    QVERIFY2(opened.error().message.contains(link), qPrintable(opened.error().message));
    if (link != QLatin1String("LOCK"))
        QVERIFY2(opened.error().message.contains(QStringLiteral("symbolic link")), qPrintable(opened.error().message));
    if (dangling) {
        QVERIFY(!QFileInfo::exists(victim));  // not created through the link
    } else {
        QFile f(victim);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("precious"));
    }
    QCOMPARE(QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files).size(), link.endsWith(u'g') && !dangling ? 1 : 0);
}

QTEST_APPLESS_MAIN(TstSpool)
#include "tst_spool.moc"
