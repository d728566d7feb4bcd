// SPDX-License-Identifier: MIT
// libFuzzer target: whole spool directories as a crash, a power loss or another program may leave them. The input
// becomes one to three segment files; Spool::open must scan them without crashing, and reading the log back from
// its start must return exactly the records open() counted, at rising positions inside the log, and still take
// appends afterwards.
#include "pipeline/batch.h"
#include "spool/spool.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>

#include <cstdint>
#include <cstdlib>
#include <unistd.h>

using namespace iot;

namespace {

// One scratch directory per fuzzing process, removed when it ends.
struct WorkDir
{
    QString path;
    WorkDir()
    {
        QByteArray tmpl = qgetenv("TMPDIR");
        tmpl = (tmpl.isEmpty() ? QByteArray("/tmp") : tmpl) + "/fuzz-spool-XXXXXX";
        if (!::mkdtemp(tmpl.data()))
            std::abort();
        path = QString::fromLocal8Bit(tmpl);
    }
    ~WorkDir() { QDir(path).removeRecursively(); }
};

QString workDir()
{
    static const WorkDir dir;
    return dir.path;
}

void writeFile(const QString &path, const std::uint8_t *data, std::size_t size)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        std::abort();
    f.write(reinterpret_cast<const char *>(data), static_cast<qint64>(size));
}

QString segmentPath(const QString &dir, std::uint64_t base)
{
    return dir + QStringLiteral("/%1.seg").arg(base, 20, 10, QLatin1Char('0'));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString dir = workDir() + QStringLiteral("/spool");
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);

    // The first byte says how many segments and where the input is cut; bases follow the files' sizes as the
    // spool names them (a gap is allowed: a segment released out of order or deleted by hand).
    const std::size_t segments = size ? 1 + data[0] % 3 : 1;
    const std::uint8_t *p = size ? data + 1 : data;
    std::size_t left = size ? size - 1 : 0;
    std::uint64_t base = size > 1 ? data[1] % 2 * 4096 : 0;
    for (std::size_t i = 0; i < segments; ++i) {
        const std::size_t part = i + 1 == segments ? left : left / (segments - i);
        writeFile(segmentPath(dir, base), p, part);
        base += part + (part % 7 == 3 ? 512 : 0);
        p += part;
        left -= part;
    }

    Spool::Options options;
    options.dir = dir;
    options.segmentBytes = 64 << 10;
    options.maxBytes = 16 << 20;
    options.reserveStep = 4096;
    auto opened = Spool::open(options);
    if (!opened)
        return 0;  // refused with a message (e.g. no room): fine, as long as nothing crashed
    Spool &spool = *opened.value();
    const Spool::Recovery r = spool.recovery();
    if (r.damagedBytes > size || r.startPosition > r.endPosition)
        std::abort();

    std::uint64_t from = spool.startPosition();
    std::uint64_t records = 0;
    std::uint64_t lastEnd = 0;
    for (int guard = 0; from < r.endPosition; ++guard) {
        if (guard > 100000)
            std::abort();  // no progress: a hang
        Batch batch;
        const Spool::ReadResult got = spool.read(from, r.endPosition, 64, batch);
        if (got.next <= from && got.records == 0)
            break;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const std::uint64_t end = batch.spoolEnd(i);
            if (end <= lastEnd || end > r.endPosition)
                std::abort();  // positions must rise and stay inside the log
            lastEnd = end;
        }
        records += got.records;
        from = got.next;
    }
    if (records != r.records)
        std::abort();  // read() and open() must agree on what the files hold

    std::uint64_t end = 0;
    if (!spool.append("t", "after", 1, end) || end <= r.endPosition)
        std::abort();
    return 0;
}
