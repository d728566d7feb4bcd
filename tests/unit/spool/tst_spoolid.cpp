// SPDX-License-Identifier: MIT
// The spool directory's id (SPOOL_ID): made once for an empty directory (private, durable), the same on every
// reopen, different for every directory; a directory with records but no id is a legacy spool; a damaged id is
// moved aside and replaced. Through Spool::open, as the engine does it.
#include "spool/spool.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace iot;

namespace {

std::unique_ptr<Spool> openSpool(const QString &dir)
{
    Spool::Options o;
    o.dir = dir;
    o.segmentBytes = 1 << 20;
    auto opened = Spool::open(o);
    if (!opened)
        qWarning("%s", qPrintable(opened.error().message));
    return opened ? std::move(opened).value() : nullptr;
}

QByteArray fileText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TstSpoolId final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyDirectoryGetsAPrivateIdKeptAcrossReopens();
    void everyDirectoryHasItsOwn();
    void recordsWithoutIdAreALegacySpool();
    void damagedIdIsMovedAsideAndReplaced_data();
    void damagedIdIsMovedAsideAndReplaced();
};

void TstSpoolId::emptyDirectoryGetsAPrivateIdKeptAcrossReopens()
{
    QTemporaryDir dir;
    QByteArray id;
    {
        auto s = openSpool(dir.path());
        QVERIFY(s);
        QCOMPARE(s->id().origin, SpoolId::Origin::Created);
        id = s->id().id;
        QVERIFY(SpoolId::isValid(id));
    }
    const QString path = dir.filePath(QStringLiteral("SPOOL_ID"));
    QCOMPARE(fileText(path), id + '\n');
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    QVERIFY(!QFile::exists(path + QStringLiteral(".tmp")));
    auto again = openSpool(dir.path());
    QVERIFY(again);
    QCOMPARE(again->id().origin, SpoolId::Origin::Existing);
    QCOMPARE(again->id().id, id);
}

void TstSpoolId::everyDirectoryHasItsOwn()
{
    QTemporaryDir a, b;
    auto sa = openSpool(a.path());
    auto sb = openSpool(b.path());
    QVERIFY(sa && sb);
    QVERIFY(sa->id().id != sb->id().id);
}

void TstSpoolId::recordsWithoutIdAreALegacySpool()
{
    QTemporaryDir dir;
    {
        auto s = openSpool(dir.path());
        QVERIFY(s);
        std::uint64_t end = 0;
        QVERIFY(s->append("t", "{}", 1, end));
        QVERIFY(s->sync());
    }
    // What a version before spool ids left behind: records, no SPOOL_ID.
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("SPOOL_ID"))));
    auto s = openSpool(dir.path());
    QVERIFY(s);
    QCOMPARE(s->id().origin, SpoolId::Origin::Legacy);
    QCOMPARE(fileText(dir.filePath(QStringLiteral("SPOOL_ID"))), s->id().id + '\n');
}

void TstSpoolId::damagedIdIsMovedAsideAndReplaced_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("torn") << QByteArray("0123456789abcdef");
    QTest::newRow("not hex") << QByteArray("0123456789abcdef0123456789abcdeZ\n");
    QTest::newRow("upper case") << QByteArray("0123456789ABCDEF0123456789ABCDEF\n");
}

void TstSpoolId::damagedIdIsMovedAsideAndReplaced()
{
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    {
        QFile f(dir.filePath(QStringLiteral("SPOOL_ID")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
    auto s = openSpool(dir.path());
    QVERIFY(s);
    QCOMPARE(s->id().origin, SpoolId::Origin::Damaged);
    QVERIFY(SpoolId::isValid(s->id().id));
    QCOMPARE(fileText(dir.filePath(QStringLiteral("SPOOL_ID.damaged"))), content);
    QCOMPARE(fileText(dir.filePath(QStringLiteral("SPOOL_ID"))), s->id().id + '\n');
}

QTEST_GUILESS_MAIN(TstSpoolId)
#include "tst_spoolid.moc"
