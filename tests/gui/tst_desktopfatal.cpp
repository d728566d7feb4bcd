// SPDX-License-Identifier: MIT
// A fatal engine error in the desktop front end (here: [[mappings]] that conflict with an existing SQLite table):
// the window stays with the reason, the settings can fix it, and the exit code says what happened — in this
// process (Desktop) and through the real binary (app/main.cpp's wiring), where it used to exit 2 at once.
#include "config/configloader.h"
#include "desktop.h"
#include "engine.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "mainwindow.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

const QString Conflict = QStringLiteral("telemetry.temperature: no such column in the existing table");

/// SQLite with a table `telemetry` that the mapping below cannot use; the broker port has nothing listening (the
/// broker does not matter here: the writer fails before any message).
QString configToml(const QString &dir, bool withMapping)
{
    QString toml = QStringLiteral(R"(
[mqtt]
host = "127.0.0.1"
port = %1
topic = "fatal/#"
client_id = "desktop-fatal"

[database]
driver = "sqlite"
path = "%2/db.sqlite"

[observability]
prometheus_port = 0

[spool]
dir = "%2/spool"
)")
                       .arg(freePort())
                       .arg(dir);
    if (withMapping)
        toml += QStringLiteral(R"(
[[mappings]]
name = "lab"
topics = ["fatal/{sensor}"]
table = "telemetry"

[[mappings.columns]]
name = "temperature"
source = "/temperature"
type = "double"
)");
    return toml;
}

Config load(const QString &toml)
{
    auto r = ConfigLoader::loadString(toml.toUtf8(), QStringLiteral("fatal.toml"));
    if (!r)
        qFatal("bad test config: %s", qPrintable(r.error().message));
    return r.value();
}

void createConflictingTable(const QString &dir)
{
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("setup"));
        db.setDatabaseName(dir + QStringLiteral("/db.sqlite"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE telemetry (other TEXT NOT NULL)")));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("setup"));
}

bool eventsContain(const MainWindow &w, const QString &text)
{
    for (int i = 0; i < w.events()->count(); ++i)
        if (w.events()->entry(i).contains(text))
            return true;
    return false;
}

} // namespace

class TstDesktopFatal final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void windowStays_data();
    void windowStays();
    void binaryKeepsTheWindow();
};

void TstDesktopFatal::windowStays_data()
{
    QTest::addColumn<bool>("fixInSettings");
    QTest::addColumn<RunOutcome::Ending>("ending");
    QTest::newRow("fixed in the settings, then quit") << true << RunOutcome::Ending::Stopped;
    QTest::newRow("quit while it stands") << false << RunOutcome::Ending::Fatal;
}

void TstDesktopFatal::windowStays()
{
    QFETCH(bool, fixInSettings);
    QFETCH(RunOutcome::Ending, ending);
    QTemporaryDir dir;
    createConflictingTable(dir.path());
    Engine engine(load(configToml(dir.path(), true)));
    Desktop desktop(engine);
    QSignalSpy fatal(&desktop.host(), &EngineHost::fatalError);
    QSignalSpy finished(&desktop, &Desktop::finished);
    desktop.start();
    QTRY_COMPARE_WITH_TIMEOUT(fatal.count(), 1, 15000);
    QVERIFY(fatal.at(0).at(0).toString().contains(Conflict));

    // The window is still there, shows the database side in red with the reason, and nothing ended the run.
    QVERIFY(desktop.window().isVisible());
    // (The bar follows the snapshots, a few times a second.)
    QTRY_COMPARE_WITH_TIMEOUT(desktop.window().health()->databaseLevel(), StatusLevel::Error, 5000);
    QVERIFY2(desktop.window().health()->databaseText().startsWith(QStringLiteral("Stopped, retrying cannot help: "))
                 && desktop.window().health()->databaseText().contains(QStringLiteral("telemetry.temperature")),
             qPrintable(desktop.window().health()->databaseText()));
    QVERIFY(eventsContain(desktop.window(), QStringLiteral("Stopped writing")));
    QCOMPARE(finished.count(), 0);

    if (fixInSettings) {
        // The operator removes the conflicting rule in the settings and applies: a new engine runs and writes.
        QSignalSpy restarted(&desktop.host(), &EngineHost::restarted);
        desktop.host().restart(load(configToml(dir.path(), false)));
        QTRY_COMPARE_WITH_TIMEOUT(restarted.count(), 1, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(desktop.window().health()->databaseText().startsWith(QStringLiteral("Connected")),
                                 15000);
    }
    desktop.quit();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.ending, ending);
    QCOMPARE(outcome.unwritten, quint64(0));
}

void TstDesktopFatal::binaryKeepsTheWindow()
{
    QTemporaryDir dir;
    createConflictingTable(dir.path());
    SubscriberProcess sub(dir.path());
    sub.setDesktop(true);
    QVERIFY(sub.start(configToml(dir.path(), true)));
    QVERIFY2(sub.waitForLog(Conflict, 20000), qPrintable(sub.log()));
    // Headless this exits 2 at once (tst_mapping); the desktop keeps running with the window open.
    QVERIFY2(!sub.waitForFinished(3000), qPrintable(sub.log()));
    QVERIFY(sub.isRunning());
    sub.terminate();
    QVERIFY(sub.waitForFinished(20000));
    QCOMPARE(sub.exitStatus(), QProcess::NormalExit);
    QCOMPARE(sub.exitCode(), 2);   // quit while the error stands: the same code as headless
}

QTEST_MAIN(TstDesktopFatal)
#include "tst_desktopfatal.moc"
