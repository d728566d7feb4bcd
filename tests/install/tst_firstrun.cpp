// SPDX-License-Identifier: MIT
// FirstRun: the per-user config.toml written at the first start without --config.
#include "config/configloader.h"
#include "firstrun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace iot;

class tst_FirstRun final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createsCommentedDefaultsWithAbsolutePaths_data();
    void createsCommentedDefaultsWithAbsolutePaths();
    void keepsAnExistingConfig();
    void refusesWithoutAHome_data();
    void refusesWithoutAHome();
    void reportsAnUnwritableDirectory();
};

void tst_FirstRun::createsCommentedDefaultsWithAbsolutePaths_data()
{
    QTest::addColumn<QString>("dataSubdir");
    QTest::newRow("plain") << QStringLiteral("share/iot-subscriber");
    QTest::newRow("spaces and non-ASCII") << QStringLiteral("Eigene Dateien/Jürgen/iot subscriber");
    QTest::newRow("TOML escapes") << QStringLiteral(R"(odd "quoted" \ dir)");
}

void tst_FirstRun::createsCommentedDefaultsWithAbsolutePaths()
{
    QFETCH(QString, dataSubdir);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const FirstRun firstRun(tmp.filePath(QStringLiteral("config/iot-subscriber")), tmp.filePath(dataSubdir));

    const auto outcome = firstRun.ensureConfig();
    QVERIFY2(outcome.ok(), qPrintable(outcome ? QString() : outcome.error().message));
    QVERIFY(outcome.value().created);
    QCOMPARE(outcome.value().configFile, firstRun.configFile());
    QVERIFY(QFileInfo(tmp.filePath(dataSubdir)).isDir());  // SQLite does not create its file's directory
    // Owner-only: the user may put broker and database passwords into it.
    const QFileDevice::Permissions perms = QFile::permissions(firstRun.configFile());
    QCOMPARE(perms & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());

    // Exactly the built-in defaults, except that the SQLite file and the spool no longer follow the working directory.
    const auto loaded = ConfigLoader::loadFile(firstRun.configFile(), QProcessEnvironment());
    QVERIFY2(loaded.ok(), qPrintable(loaded ? QString() : loaded.error().message));
    Config expected = ConfigLoader::defaults(QProcessEnvironment());
    expected.sourceFile = loaded.value().sourceFile;
    expected.database.path = firstRun.databaseFile();
    expected.spool.dir = firstRun.spoolDir();
    QCOMPARE(loaded.value().database.path, expected.database.path);
    QCOMPARE(loaded.value().spool.dir, expected.spool.dir);
    QVERIFY(QDir::isAbsolutePath(loaded.value().database.path));
    QVERIFY(loaded.value() == expected);

    // The template's comments stay, so the file documents every key; its licence header does not.
    const QByteArray text = firstRun.defaultConfigText();
    QVERIFY(text.startsWith("# Created by iot-subscriber at its first start without --config"));
    QVERIFY(text.contains("# broker host name or address"));
    QVERIFY(text.contains("# SQLite database file"));
    QVERIFY(!text.contains("SPDX-License-Identifier"));
    QVERIFY(text.endsWith('\n'));
}

void tst_FirstRun::keepsAnExistingConfig()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const FirstRun firstRun(tmp.path(), tmp.filePath(QStringLiteral("data")));
    const QByteArray mine = "[mqtt]\nhost = \"broker.example\"\n";
    {
        QFile f(firstRun.configFile());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(mine);
    }
    const auto outcome = firstRun.ensureConfig();
    QVERIFY(outcome.ok());
    QVERIFY(!outcome.value().created);
    QFile f(firstRun.configFile());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), mine);
}

void tst_FirstRun::refusesWithoutAHome_data()
{
    QTest::addColumn<QString>("configDir");
    QTest::addColumn<QString>("dataDir");
    QTest::newRow("no locations") << QString() << QString();
    QTest::newRow("no data location") << QStringLiteral("/tmp/x") << QString();
    QTest::newRow("relative (HOME unset)") << QStringLiteral(".config/iot-subscriber") << QStringLiteral("/tmp/x");
}

void tst_FirstRun::refusesWithoutAHome()
{
    QFETCH(QString, configDir);
    QFETCH(QString, dataDir);
    const auto outcome = FirstRun(configDir, dataDir).ensureConfig();
    QVERIFY(!outcome.ok());
    QVERIFY2(outcome.error().message.contains(QStringLiteral("HOME")), qPrintable(outcome.error().message));
}

void tst_FirstRun::reportsAnUnwritableDirectory()
{
    if (::geteuid() == 0)
        QSKIP("root may write anywhere");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QVERIFY(QFile::setPermissions(tmp.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    const FirstRun firstRun(tmp.filePath(QStringLiteral("config")), tmp.filePath(QStringLiteral("data")));
    const auto outcome = firstRun.ensureConfig();
    QFile::setPermissions(tmp.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QVERIFY(!outcome.ok());
    QVERIFY2(outcome.error().message.contains(tmp.filePath(QStringLiteral("config"))),
             qPrintable(outcome.error().message));
}

QTEST_GUILESS_MAIN(tst_FirstRun)
#include "tst_firstrun.moc"
