// SPDX-License-Identifier: MIT
#include "spool/spoolid.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace iot {
namespace {

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

QByteArray newId()
{
    // 128 bits from the system's entropy source: two directories never draw the same id by chance.
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

Status writeDurably(const QString &dir, const QByteArray &id)
{
    const QByteArray path = QFile::encodeName(QDir(dir).filePath(QLatin1String(SpoolId::FileName)));
    const QByteArray tmp = QByteArray(path + ".tmp");
    ::unlink(tmp.constData());  // a leftover of a crash between create and rename
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Error{QStringLiteral("cannot create %1: %2").arg(QString::fromLocal8Bit(tmp), errnoText())};
    const QByteArray text = id + '\n';
    const bool written = ::write(fd, text.constData(), std::size_t(text.size())) == text.size() && ::fdatasync(fd) == 0;
    const QString err = errnoText();
    ::close(fd);
    // Renamed only once on disk, and the directory synced: after a power loss the id is either absent (an empty
    // spool makes a new one) or whole, never a torn file that would read as damaged.
    if (!written || ::rename(tmp.constData(), path.constData()) != 0)
        return Error{QStringLiteral("cannot write %1: %2").arg(QString::fromLocal8Bit(path), written ? errnoText() : err)};
    if (const int dfd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return Ok{};
}

} // namespace

bool SpoolId::isValid(QByteArrayView text)
{
    if (text.endsWith('\n'))
        text.chop(1);
    if (text.size() != 32)
        return false;
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

Result<SpoolId> SpoolId::load(const QString &dir, bool hasRecords)
{
    const QString path = QDir(dir).filePath(QLatin1String(FileName));
    const QByteArray p = QFile::encodeName(path);
    SpoolId out;
    const int fd = ::open(p.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT)
        return Error{QStringLiteral("cannot read %1: %2").arg(path, errnoText()), errno == ELOOP};
    if (fd >= 0) {
        char buf[64];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        const QByteArrayView text(buf, n > 0 ? n : 0);
        if (SpoolId::isValid(text)) {
            out.id = text.endsWith('\n') ? text.chopped(1).toByteArray() : text.toByteArray();
            out.origin = Origin::Existing;
            return out;
        }
        // Kept for the operator; the spool gets a new id (the rule is in SpoolCursor and docs/architecture.md).
        if (::rename(p.constData(), QByteArray(p + ".damaged").constData()) != 0)
            return Error{QStringLiteral("cannot move the damaged %1 aside: %2").arg(path, errnoText())};
        out.origin = Origin::Damaged;
    } else {
        out.origin = hasRecords ? Origin::Legacy : Origin::Created;
    }
    out.id = newId();
    if (const Status st = writeDurably(dir, out.id); !st)
        return st.error();
    return out;
}

} // namespace iot
