// SPDX-License-Identifier: MIT
#pragma once

#include "pipeline/batch.h"
#include "spool/spoolid.h"
#include "spool/spoolstate.h"
#include "util/result.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace iot {

/// The append-only disk log every message is written to on arrival (before it could be lost by a crash of this
/// process), so that what the database has not committed can be replayed after a restart and a database outage
/// spills to disk instead of RAM. Segment files named by their first position; positions are byte offsets over the
/// whole log. append()/sync() run on the ingest thread, read()/release() on the writer thread, open() before both.
class Spool final
{
public:
    /// The two calls through which the disk says no, each returning 0 or an errno value. A seam: tests make them
    /// fail on cue; empty members mean the real posix_fallocate and fdatasync.
    struct Disk
    {
        std::function<int(int fd, std::uint64_t offset, std::uint64_t length)> reserve;
        std::function<int(int fd)> sync;
    };
    struct Options
    {
        QString dir;
        std::uint64_t segmentBytes = 64ull << 20;
        std::uint64_t maxBytes = 1ull << 30;
        std::uint64_t reserveStep = 1ull << 20;  // disk space reserved ahead of the write position, per call
        Disk disk;
    };
    /// What open() found on disk.
    struct Recovery
    {
        std::uint64_t segments = 0;
        std::uint64_t records = 0;
        std::uint64_t damagedBytes = 0;   // skipped: bit flips, torn or truncated records
        std::uint64_t startPosition = 0;  // first position still on disk
        std::uint64_t endPosition = 0;    // where new records go
        QStringList problems;             // one line per damaged region
    };
    struct ReadResult
    {
        std::size_t records = 0;
        std::uint64_t next = 0;           // where the next read should start
        std::uint64_t damagedBytes = 0;
    };

    /// Locks the directory (one process per spool), scans every segment and prepares a fresh head segment.
    static Result<std::unique_ptr<Spool>> open(const Options &options);
    ~Spool();
    Spool(const Spool &) = delete;
    Spool &operator=(const Spool &) = delete;

    const Recovery &recovery() const { return m_recovery; }
    QString directory() const { return m_options.dir; }
    /// This directory's id (SPOOL_ID), which keys its checkpoint in the database, and how it came about.
    const SpoolId &id() const { return m_id; }

    /// Ingest thread. Appends one record; `endPosition` receives the position just after it. False when the disk
    /// refuses (full, I/O error; state() then says which) or the record is too large: the message then lives in
    /// memory only. While state() is not Ok every append fails at once, until recover() succeeds.
    bool append(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint64_t &endPosition);
    /// Ingest thread: makes appended records durable against power loss (fdatasync) and lets go of written pages.
    /// False when fdatasync failed: the state becomes SyncError.
    bool sync();
    /// Ingest thread: tries again what failed (create the head segment, reserve space, sync); true once the
    /// spool takes records again.
    bool recover();
    /// Ingest thread: Ok, or why append() refuses; lastError() is the errno value behind it.
    SpoolState state() const { return m_state; }
    int lastError() const { return m_error; }
    /// Ingest thread: fdatasync calls that failed so far.
    std::uint64_t syncFailures() const { return m_syncFailures; }

    std::uint64_t endPosition() const { return m_end.load(std::memory_order_acquire); }
    std::uint64_t startPosition() const { return m_start.load(std::memory_order_acquire); }
    /// Bytes of log kept on disk (from the oldest segment still needed to the end): what max_bytes caps.
    std::uint64_t bytesInUse() const { return endPosition() - startPosition(); }
    std::uint64_t maxBytes() const { return m_options.maxBytes; }

    /// Writer thread: appends up to `maxRecords` records with positions in [from, to) to `out` (each entry's
    /// spoolEnd set), skipping damaged regions; stops once the records read hold `maxBytes` of
    /// Batch::memoryBytes() (at least one record is read).
    ReadResult read(std::uint64_t from, std::uint64_t to, std::size_t maxRecords, Batch &out,
                    std::size_t maxBytes = SIZE_MAX);
    /// Writer thread: everything before `committed` is in the database; delete segments that lie wholly before it.
    void release(std::uint64_t committed);

private:
    struct Segment
    {
        std::uint64_t base = 0;
        std::uint64_t size = 0;
        QString path;
    };

    explicit Spool(const Options &options);
    bool createHead(std::uint64_t base, std::uint64_t size);
    void closeHead();
    bool reserve(std::uint64_t upTo);
    bool endHeadHere();
    bool fail(SpoolState state, int error);

    Options m_options;
    Recovery m_recovery;
    SpoolId m_id;
    int m_lockFd = -1;
    std::mutex m_mutex;               // guards m_segments
    std::vector<Segment> m_segments;  // ordered by base; the last one is the head
    // Head segment, owned by the ingest thread.
    int m_headFd = -1;
    char *m_headMap = nullptr;
    std::uint64_t m_headBase = 0;
    std::uint64_t m_headSize = 0;
    std::uint64_t m_headOffset = 0;
    std::uint64_t m_reservedOffset = 0;  // blocks are allocated up to here: writes below it cannot raise SIGBUS
    std::uint64_t m_syncedOffset = 0;
    std::uint64_t m_unmappedOffset = 0;  // written pages below it are out of our address space (not yet synced)
    SpoolState m_state = SpoolState::Ok;
    int m_error = 0;
    std::uint64_t m_syncFailures = 0;
    std::atomic<std::uint64_t> m_end{0};
    std::atomic<std::uint64_t> m_start{0};
};

} // namespace iot
