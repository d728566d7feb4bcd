// SPDX-License-Identifier: MIT
#include "spool/spool.h"

#include "spool/spoolrecord.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace iot {
namespace {

constexpr std::uint64_t PageSize = 4096;
// Written pages stay mapped, and count as our resident memory, until the next sync (sync_interval_ms) drops them: at
// ~100 MB/s of 4 KB payloads that was ~40 MB. Beyond this many bytes they are dropped before the sync; so are the
// pages a read-back has been through.
constexpr std::uint64_t UnmapStep = 1u << 20;

QString segmentName(std::uint64_t base)
{
    return QStringLiteral("%1.seg").arg(base, 20, 10, QLatin1Char('0'));
}

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

/// A read-only view of a whole segment file for the duration of a scan or read.
class MappedFile
{
public:
    explicit MappedFile(const QString &path)
    {
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return;
        struct stat st = {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void *p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
            if (p != MAP_FAILED) {
                m_data = static_cast<const char *>(p);
                m_size = static_cast<std::size_t>(st.st_size);
                ::madvise(p, m_size, MADV_SEQUENTIAL);
            }
        }
        ::close(fd);
    }
    ~MappedFile()
    {
        if (m_data)
            ::munmap(const_cast<char *>(m_data), m_size);
    }
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    const char *data() const { return m_data; }
    std::size_t size() const { return m_size; }

private:
    const char *m_data = nullptr;
    std::size_t m_size = 0;
};

/// A problem with the spool directory that only the operator can fix: exit 2 headless, like a bad config.
Error refusal(const QString &message)
{
    return Error{message, true};
}

/// Creates the directory 0700 or checks an existing one. It must belong to the user we run as and be writable by
/// nobody else: whoever can write there can plant records (replayed into the database as if the broker had sent
/// them) or symlinks, and whoever can read there reads every payload. Group-writable is refused as well as
/// world-writable: a group is rarely as small as one user, and the service needs no group to share it with.
/// Readable by others (0755, what older versions made under a umask of 022) we can fix ourselves: tightened.
Status prepareDirectory(const QString &path)
{
    const QByteArray p = QFile::encodeName(path);
    if (::mkdir(p.constData(), 0700) != 0 && errno != EEXIST) {
        const bool parentsMade = errno == ENOENT && QDir().mkpath(QFileInfo(path).absolutePath());
        if (!parentsMade || (::mkdir(p.constData(), 0700) != 0 && errno != EEXIST))
            return Error{QStringLiteral("cannot create spool directory %1: %2").arg(path, errnoText())};
    }
    struct stat st = {};
    if (::stat(p.constData(), &st) != 0)
        return Error{QStringLiteral("cannot use spool directory %1: %2").arg(path, errnoText())};
    if (!S_ISDIR(st.st_mode))
        return refusal(QStringLiteral("spool directory %1 is not a directory").arg(path));
    if (st.st_uid != ::geteuid())
        return refusal(QStringLiteral("spool directory %1 belongs to user id %2, not to the user iot-subscriber runs as "
                                      "(%3): refusing it, another user could read or plant records; chown it or set "
                                      "[spool] dir to a directory of this user")
                           .arg(path)
                           .arg(st.st_uid)
                           .arg(::geteuid()));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return refusal(QStringLiteral("spool directory %1 is writable by its group or by others (mode %2): refusing "
                                      "it, they could plant records or symlinks; chmod 700 it")
                           .arg(path)
                           .arg(st.st_mode & 07777, 4, 8, QLatin1Char('0')));
    if ((st.st_mode & 077) != 0 && ::chmod(p.constData(), 0700) != 0)
        return Error{QStringLiteral("cannot make spool directory %1 private (chmod 700): %2").arg(path, errnoText())};
    return Ok{};
}

/// A segment must be a plain file of ours: a symbolic link is never followed (it could point at any file the
/// service may write), and one readable by others is made private.
Status checkSegment(const QString &path)
{
    const QByteArray p = QFile::encodeName(path);
    struct stat st = {};
    if (::lstat(p.constData(), &st) != 0)
        return Error{QStringLiteral("cannot use spool segment %1: %2").arg(path, errnoText())};
    if (S_ISLNK(st.st_mode))
        return refusal(QStringLiteral("spool segment %1 is a symbolic link: refusing to follow it (segments are plain "
                                      "files that iot-subscriber creates; remove the link)")
                           .arg(path));
    if (!S_ISREG(st.st_mode))
        return refusal(QStringLiteral("spool segment %1 is not a regular file").arg(path));
    if (st.st_uid != ::geteuid())
        return refusal(QStringLiteral("spool segment %1 belongs to user id %2, not to the user iot-subscriber runs as "
                                      "(%3): refusing it")
                           .arg(path)
                           .arg(st.st_uid)
                           .arg(::geteuid()));
    if ((st.st_mode & 077) != 0 && ::chmod(p.constData(), 0600) != 0)
        return Error{QStringLiteral("cannot make spool segment %1 private (chmod 600): %2").arg(path, errnoText())};
    return Ok{};
}

SpoolState stateFor(int error)
{
    return error == ENOSPC || error == EDQUOT ? SpoolState::DiskFull : SpoolState::WriteError;
}

} // namespace

Spool::Spool(const Options &options) : m_options(options)
{
    if (!m_options.disk.reserve)
        m_options.disk.reserve = [](int fd, std::uint64_t offset, std::uint64_t length) {
            int error = 0;
            do
                error = ::posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
            while (error == EINTR);
            return error;
        };
    if (!m_options.disk.sync)
        m_options.disk.sync = [](int fd) { return ::fdatasync(fd) == 0 ? 0 : errno; };
    m_options.reserveStep = std::max(PageSize, (m_options.reserveStep + PageSize - 1) / PageSize * PageSize);
}

Spool::~Spool()
{
    closeHead();
    if (m_lockFd >= 0)
        ::close(m_lockFd);
}

Result<std::unique_ptr<Spool>> Spool::open(const Options &options)
{
    std::unique_ptr<Spool> s(new Spool(options));
    QDir dir(options.dir);
    if (const Status st = prepareDirectory(options.dir); !st)
        return st.error();
    const QByteArray lockPath = QFile::encodeName(dir.filePath(QStringLiteral("LOCK")));
    s->m_lockFd = ::open(lockPath.constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->m_lockFd < 0)
        return Error{QStringLiteral("cannot open %1: %2").arg(QString::fromLocal8Bit(lockPath), errnoText()),
                     errno == ELOOP};
    if (::flock(s->m_lockFd, LOCK_EX | LOCK_NB) != 0)
        return Error{QStringLiteral("spool directory %1 is in use by another iot-subscriber; every instance needs "
                                    "its own spool directory")
                         .arg(dir.absolutePath())};

    // Segments in position order; each is scanned whole so damage anywhere is found and reported now.
    std::vector<Segment> found;
    // Every entry named *.seg, links and dangling links included: each is checked before it is opened.
    const auto entries = QDir::AllEntries | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot;
    for (const QString &name : dir.entryList({QStringLiteral("*.seg")}, entries, QDir::Name)) {
        bool ok = false;
        const std::uint64_t base = name.chopped(4).toULongLong(&ok);
        if (!ok)
            continue;
        if (const Status st = checkSegment(dir.filePath(name)); !st)
            return st.error();
        found.push_back({base, QFileInfo(dir.filePath(name)).size() > 0
                                   ? static_cast<std::uint64_t>(QFileInfo(dir.filePath(name)).size()) : 0,
                         dir.filePath(name)});
    }
    Recovery &r = s->m_recovery;
    for (const Segment &seg : found) {
        MappedFile m(seg.path);
        std::size_t off = 0;
        while (m.data() && off < m.size()) {
            SpoolRecord::View v;
            const auto d = SpoolRecord::decode(m.data() + off, m.size() - off, v);
            if (d == SpoolRecord::Decode::Ok) {
                ++r.records;
                off += v.size;
                continue;
            }
            // End of data, or damage: anything valid further on (a later page written back before an earlier
            // one at power loss) is kept; what lies between is reported and skipped.
            const std::size_t next = SpoolRecord::resync(m.data(), m.size(), off + 1);
            if (d != SpoolRecord::Decode::End || next < m.size()) {
                std::size_t damaged = next - off;
                if (next == m.size()) {
                    // Trailing garbage up to the zero-filled rest of the segment.
                    std::size_t k = off;
                    while (k < m.size() && m.data()[k] != 0)
                        ++k;
                    damaged = std::max<std::size_t>(k - off, 1);
                }
                r.damagedBytes += damaged;
                r.problems << QStringLiteral("%1: %2 damaged bytes at offset %3 skipped (%4)")
                                  .arg(QFileInfo(seg.path).fileName())
                                  .arg(damaged)
                                  .arg(off)
                                  .arg(d == SpoolRecord::Decode::Truncated ? QStringLiteral("truncated record")
                                                                           : QStringLiteral("checksum or framing"));
            }
            off = next;
        }
    }
    r.segments = found.size();
    auto id = SpoolId::load(options.dir, r.records > 0);
    if (!id)
        return id.error();
    s->m_id = std::move(id).value();
    const std::uint64_t headBase = found.empty() ? 0 : found.back().base + found.back().size;
    s->m_segments = std::move(found);
    // New records always go to a fresh segment: a damaged tail is never written over, only skipped.
    if (!s->createHead(headBase, options.segmentBytes))
        return Error{QStringLiteral("cannot create spool segment in %1: %2").arg(dir.absolutePath(), errnoText())};
    r.startPosition = s->m_segments.front().base;
    r.endPosition = headBase;
    s->m_start.store(r.startPosition, std::memory_order_release);
    return s;
}

bool Spool::createHead(std::uint64_t base, std::uint64_t size)
{
    const QString path = QDir(m_options.dir).filePath(segmentName(base));
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return false;
    const auto closeKeepingErrno = [fd] {
        const int error = errno;
        ::close(fd);
        errno = error;
    };
    // Sparse: the file takes disk space only as append() reserves it, a step at a time (reserving all of it up front
    // would call the disk full before it is). Writing through the mapping into a page without a block behind it
    // would turn ENOSPC into SIGBUS; append() never writes past what reserve() allocated.
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        closeKeepingErrno();
        return false;
    }
    void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        closeKeepingErrno();
        return false;
    }
    // Keep the directory entry durable too, or a crash could lose the whole new file.
    if (const int dfd = ::open(QFile::encodeName(m_options.dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    m_headFd = fd;
    m_headMap = static_cast<char *>(p);
    m_headBase = base;
    m_headSize = size;
    m_headOffset = 0;
    m_reservedOffset = 0;
    m_syncedOffset = 0;
    m_unmappedOffset = 0;
    {
        std::lock_guard lock(m_mutex);
        m_segments.push_back({base, size, path});
    }
    m_end.store(base, std::memory_order_release);
    return true;
}

void Spool::closeHead()
{
    if (!m_headMap)
        return;
    ::msync(m_headMap, m_headSize, MS_SYNC);
    ::munmap(m_headMap, m_headSize);
    ::close(m_headFd);
    m_headMap = nullptr;
    m_headFd = -1;
}

bool Spool::append(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint64_t &endPosition)
{
    const std::size_t size = SpoolRecord::encodedSize(static_cast<std::size_t>(topic.size()),
                                                      static_cast<std::size_t>(payload.size()));
    if (static_cast<std::size_t>(topic.size()) > SpoolRecord::MaxTopicSize || size > SpoolRecord::MaxRecordSize)
        return false;
    if (m_state != SpoolState::Ok)
        return false;  // until recover() succeeds: one cheap test per message, not a system call
    if (!m_headMap || m_headOffset + size > m_headSize) {
        // The full segment's records must be known to be on disk before we move on and stop syncing it.
        if (!sync())
            return false;
        const std::uint64_t base = m_headBase + m_headSize;
        closeHead();
        if (!createHead(base, std::max<std::uint64_t>(m_options.segmentBytes, (size + PageSize - 1) / PageSize * PageSize)))
            return fail(stateFor(errno), errno);
    }
    if (m_headOffset + size > m_reservedOffset && !reserve(m_headOffset + size))
        return false;
    SpoolRecord::encode(m_headMap + m_headOffset, topic, payload, receivedAtUs);
    m_headOffset += size;
    if (m_headOffset - m_unmappedOffset >= UnmapStep) {
        // MADV_DONTNEED on a shared file mapping keeps the dirty data in the page cache: the kernel writes it back,
        // the next fdatasync covers it and readers see it. The page being written stays mapped.
        const std::uint64_t from = m_unmappedOffset / PageSize * PageSize;
        const std::uint64_t to = m_headOffset / PageSize * PageSize;
        ::madvise(m_headMap + from, to - from, MADV_DONTNEED);
        m_unmappedOffset = to;
    }
    endPosition = m_headBase + m_headOffset;
    m_end.store(endPosition, std::memory_order_release);
    return true;
}

bool Spool::reserve(std::uint64_t upTo)
{
    // A step ahead, so reserving costs one call per step rather than per record; never past the segment's end.
    const std::uint64_t ahead = std::max(upTo, m_reservedOffset + m_options.reserveStep);
    const std::uint64_t want = std::min(m_headSize, (ahead + PageSize - 1) / PageSize * PageSize);
    if (want <= m_reservedOffset)
        return true;
    if (const int error = m_options.disk.reserve(m_headFd, m_reservedOffset, want - m_reservedOffset); error != 0)
        return fail(stateFor(error), error);
    m_reservedOffset = want;
    return true;
}

bool Spool::endHeadHere()
{
    if (!sync())
        return false;
    const QString path = QDir(m_options.dir).filePath(segmentName(m_headBase));
    closeHead();
    // The next segment starts right after the last record, so committing that record covers the whole file and the
    // writer can release it. (If the file cannot be shortened it keeps its size, and positions go on after it.)
    if (::truncate(QFile::encodeName(path).constData(), static_cast<off_t>(m_headOffset)) == 0) {
        m_headSize = m_headOffset;
        std::lock_guard lock(m_mutex);
        m_segments.back().size = m_headSize;
    }
    if (!createHead(m_headBase + m_headSize, m_options.segmentBytes))
        return fail(stateFor(errno), errno);
    return true;
}

bool Spool::fail(SpoolState state, int error)
{
    m_state = state;
    m_error = error;
    return false;
}

bool Spool::sync()
{
    // After a failed sync only recover() syncs again: it decides what the failure means for the pages.
    if (!m_headMap || m_syncedOffset == m_headOffset || m_state == SpoolState::SyncError)
        return m_state != SpoolState::SyncError;
    if (const int error = m_options.disk.sync(m_headFd); error != 0) {
        ++m_syncFailures;
        return fail(SpoolState::SyncError, error);
    }
    // Written, synced pages need not stay in our address space (they count as resident memory otherwise); the
    // page cache keeps the data for readers. The last, partly written page stays mapped.
    const std::uint64_t from = m_syncedOffset / PageSize * PageSize;
    const std::uint64_t to = m_headOffset / PageSize * PageSize;
    if (to > from) {
        ::madvise(m_headMap + from, to - from, MADV_DONTNEED);
        // Synced pages are clean: dropping them from the page cache too hands their memory back for the next
        // pages we write. Otherwise every spool page is memory never touched before, and such first touches were
        // 17 % of the subscriber's CPU in the benchmark (perf: the kernel zeroing fresh page-cache pages; see
        // docs/benchmarks.md). Replay and spill read-back then read from disk, which is rare.
        ::posix_fadvise(m_headFd, static_cast<off_t>(from), static_cast<off_t>(to - from), POSIX_FADV_DONTNEED);
    }
    m_syncedOffset = m_headOffset;
    return true;
}

bool Spool::recover()
{
    switch (m_state) {
    case SpoolState::Ok:
    case SpoolState::Count:
        return true;
    case SpoolState::SyncError:
        if (const int error = m_options.disk.sync(m_headFd); error != 0) {
            ++m_syncFailures;
            return fail(SpoolState::SyncError, error);
        }
        // The records the failed sync covered are not known to be on disk. Their pages are not dropped from the page
        // cache as synced pages are, so that read-back of spilled ranges finds what was written; the writer's
        // checkpoint commits them as usual (docs/architecture.md, "The spool").
        m_syncedOffset = m_headOffset;
        break;
    case SpoolState::DiskFull:
    case SpoolState::WriteError:
        if (!m_headMap && !createHead(m_headBase + m_headSize, m_options.segmentBytes))
            return fail(stateFor(errno), errno);
        if (reserve(m_headOffset + 1))
            break;
        // The head cannot grow, and the writer never releases the head: end it at its last record (which also
        // gives back what was reserved beyond it) and start a new one there, so that once the database has those
        // records their space comes back even when this was the only segment.
        if (m_headOffset == 0 || !endHeadHere())
            return false;
        if (!reserve(m_headOffset + 1))
            return false;
        break;
    }
    m_state = SpoolState::Ok;
    m_error = 0;
    return true;
}

Spool::ReadResult Spool::read(std::uint64_t from, std::uint64_t to, std::size_t maxRecords, Batch &out,
                              std::size_t maxBytes)
{
    ReadResult r;
    r.next = from;
    std::size_t bytes = 0;
    // The byte bound keeps a read-back of large payloads within the writer's share of max_buffered_mb.
    const auto more = [&] { return r.records < maxRecords && (r.records == 0 || bytes < maxBytes); };
    std::vector<Segment> segments;
    {
        std::lock_guard lock(m_mutex);
        segments = m_segments;
    }
    for (const Segment &seg : segments) {
        if (r.next >= to || !more())
            break;
        if (seg.base + seg.size <= r.next)
            continue;
        if (seg.base > r.next)
            r.next = seg.base;  // a gap between segments (a fresh head after a restart)
        MappedFile m(seg.path);
        if (!m.data()) {
            r.next = seg.base + seg.size;
            continue;
        }
        std::size_t off = static_cast<std::size_t>(r.next - seg.base);
        const std::size_t limit = static_cast<std::size_t>(std::min<std::uint64_t>(m.size(), to - seg.base));
        std::size_t unmapped = off / PageSize * PageSize;
        while (off < limit && more()) {
            if (off - unmapped >= UnmapStep) {
                // What was copied into `out` need not stay mapped (resident) for the rest of the read.
                const std::size_t upTo = off / PageSize * PageSize;
                ::madvise(const_cast<char *>(m.data()) + unmapped, upTo - unmapped, MADV_DONTNEED);
                unmapped = upTo;
            }
            SpoolRecord::View v;
            const auto d = SpoolRecord::decode(m.data() + off, limit - off, v);
            if (d == SpoolRecord::Decode::Ok) {
                off += v.size;
                out.append(v.topic, v.payload, v.receivedAtUs, seg.base + off);
                bytes += Batch::memoryBytes(std::size_t(v.topic.size()), std::size_t(v.payload.size()));
                ++r.records;
                continue;
            }
            const std::size_t next = SpoolRecord::resync(m.data(), limit, off + 1);
            if (d != SpoolRecord::Decode::End)
                r.damagedBytes += next - off;
            off = next;
        }
        r.next = seg.base + off;
        if (off >= m.size())
            r.next = seg.base + seg.size;
    }
    return r;
}

void Spool::release(std::uint64_t committed)
{
    std::lock_guard lock(m_mutex);
    // Never the head (the last segment): the ingest thread writes there.
    while (m_segments.size() > 1 && m_segments.front().base + m_segments.front().size <= committed) {
        QFile::remove(m_segments.front().path);
        m_segments.erase(m_segments.begin());
    }
    m_start.store(m_segments.front().base, std::memory_order_release);
}

} // namespace iot
