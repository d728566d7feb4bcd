// SPDX-License-Identifier: MIT
// The local engine turned off and on again from a running window, as main() wires the desktop (Desktop, real engine
// in this process) against the test broker and PostgreSQL, with a real headless instance watched in the Instances
// tab: turning off goes through the real action and its confirmation, commits everything (rows in PostgreSQL),
// disconnects from the broker (messages published meanwhile are not read; the persistent session keeps them for
// later), disables the engine's tabs like --monitor-only, keeps the program running and the remote instance
// watched; turning on connects again, the counters go on and the queued and new messages are written; a quit while
// off ends the run at once.
#include "config/configloader.h"
#include "backgroundpublisher.h"
#include "desktop.h"
#include "engine.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "instancespanel.h"
#include "isolatedguitest.h"
#include "mainwindow.h"
#include "readingsprobe.h"
#include "remoteinstance.h"
#include "settingsdialog.h"
#include "subscriberprocess.h"
#include "testenv.h"
#include "trayicon.h"

#include <QAbstractButton>
#include <QAction>
#include <QFile>
#include <QMessageBox>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

Config load(const QString &toml)
{
    auto r = ConfigLoader::loadString(toml.toUtf8(), QStringLiteral("engineoff.toml"));
    if (!r)
        qFatal("bad test config: %s", qPrintable(r.error().message));
    return r.value();
}

/// This computer's row of the Instances tab (-1: none).
int localRow(const InstancesPanel &panel)
{
    QTableWidget *t = panel.table();
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, InstancesPanel::NameColumn)
            && t->item(r, InstancesPanel::NameColumn)->data(InstancesPanel::LocalRole).toBool())
            return r;
    return -1;
}

QString localCell(const InstancesPanel &panel, int column)
{
    const int r = localRow(panel);
    return r >= 0 && panel.table()->item(r, column) ? panel.table()->item(r, column)->text() : QString();
}

/// Triggers the toggle and answers its confirmation with "Turn off" (the dialog is opened, not exec'd).
bool turnOffThroughTheWindow(MainWindow &window)
{
    window.engineToggleAction()->trigger();
    auto *box = window.findChild<QMessageBox *>(QStringLiteral("turnOffConfirm"));
    if (!box || !box->isVisible() || !box->informativeText().contains(QStringLiteral("Ingestion on this computer stops")))
        return false;
    for (QAbstractButton *b : box->buttons())
        if (b->text() == QStringLiteral("&Turn off")) {
            b->click();
            return true;
        }
    return false;
}

bool eventsContain(MainWindow &window, const QString &text)
{
    for (int i = 0; i < window.events()->count(); ++i)
        if (window.events()->entry(i).contains(text))
            return true;
    return false;
}

} // namespace

class TstEngineOff final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void turnOffAndOnWithoutQuitting();
    void turnOnThatCannotStartStaysOff();
};

void TstEngineOff::initTestCase()
{
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TstEngineOff::turnOffAndOnWithoutQuitting()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/engineoff-XXXXXX"));
    QTemporaryDir remoteDir;
    const QString tag = QStringLiteral("engineoff_%1").arg(QRandomGenerator::global()->generate());

    // The remote: a real headless instance with a token, on its own topic.
    const QByteArray token = "token-" + QByteArray::number(QRandomGenerator::global()->generate64());
    const int port = freePort();
    SubscriberSetup remoteSetup;
    remoteSetup.database = srv.pgDatabase;
    remoteSetup.topic = tag + QStringLiteral("/remote/#");
    remoteSetup.clientId = tag + QStringLiteral("-remote");
    remoteSetup.prometheusPort = port;
    remoteSetup.extraObservabilityKeys
        = QStringLiteral("auth_token_file = \"%1\"\n").arg(writeTokenFile(remoteDir.path(), token));
    SubscriberProcess remoteProcess(remoteDir.path());
    QVERIFY(remoteProcess.start(subscriberConfig(srv, remoteSetup)));
    QVERIFY2(remoteProcess.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(remoteProcess.log()));

    // This computer: a persistent session (clean_session = false, the default) with a spool, into its own database.
    SubscriberSetup local;
    local.database = tag;
    local.topic = tag + QStringLiteral("/local/#");
    local.clientId = tag + QStringLiteral("-local");
    local.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")));
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    Engine engine(load(subscriberConfig(srv, local)));
    Desktop desktop(engine);
    QSignalSpy finished(&desktop, &Desktop::finished);
    desktop.start();
    MainWindow &window = desktop.window();
    EngineHost &host = desktop.host();
    InstancesPanel &panel = *window.instances();
    QTabWidget *tabs = window.tabs();
    QTRY_VERIFY2_WITH_TIMEOUT(window.health()->mqttText().startsWith(QStringLiteral("Connected to ")),
                              qPrintable(window.health()->mqttText()), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(window.health()->databaseText().startsWith(QStringLiteral("Connected to ")), 15000);
    RemoteInstance &remote = *window.addRemoteInstance(
        QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), QStringLiteral("remote"), token);
    QVERIFY(window.engineToggleAction()->isVisible());
    QCOMPARE(window.engineToggleAction()->text(), QStringLiteral("Turn local engine &off…"));

    // N messages while on: all written.
    constexpr quint64 N = 500, M = 300, K = 200, P = 100;
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/local"), N, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(host.snapshot().written, N, 20000);
    QCOMPARE(probe.count(), qint64(N));
    QTRY_COMPARE_WITH_TIMEOUT(remote.health(), RemoteInstance::Health::Ok, 10000);

    // Turned off through the action and its confirmation: committed, disconnected, a monitor only — still running.
    QSignalSpy turnedOff(&host, &EngineHost::turnedOff);
    QVERIFY(turnOffThroughTheWindow(window));
    QTRY_VERIFY_WITH_TIMEOUT(host.isOff(), 20000);
    QCOMPARE(turnedOff.count(), 1);
    QCOMPARE(turnedOff.at(0).at(0).toULongLong(), 0u);
    QCOMPARE(probe.count(), qint64(N));
    QCOMPARE(host.snapshot().inFlight, 0u);
    QVERIFY(!host.isRunning());
    QCOMPARE(window.localMode(), MainWindow::LocalMode::EngineOff);
    for (int i = 0; i < 6; ++i) {
        QVERIFY(!tabs->isTabEnabled(i));
        QVERIFY2(tabs->tabToolTip(i).contains(QStringLiteral("local engine is off")), qPrintable(tabs->tabToolTip(i)));
    }
    QVERIFY(tabs->isTabEnabled(6));
    QCOMPARE(tabs->currentIndex(), 6);
    QVERIFY(!window.pauseAction()->isEnabled());
    QVERIFY(!window.reconnectAction()->isEnabled());
    QVERIFY(!window.settingsAction()->isEnabled());
    QVERIFY(window.engineToggleAction()->isEnabled());
    QCOMPARE(window.engineToggleAction()->text(), QStringLiteral("Turn local engine &on"));
    // The health bar says off, in grey (not an error); this computer's row says off and is no problem for the tray.
    QTRY_VERIFY2(window.health()->readingText().startsWith(QStringLiteral("Local engine off")),
                 qPrintable(window.health()->readingText()));
    QCOMPARE(window.health()->mqttLevel(), StatusLevel::Off);
    QCOMPARE(window.health()->databaseLevel(), StatusLevel::Off);
    QVERIFY(panel.hasLocal());
    QTRY_COMPARE(localCell(panel, InstancesPanel::HealthColumn), QStringLiteral("off"));
    QCOMPARE(panel.table()->item(localRow(panel), InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(),
             qint64(N));
    QTRY_COMPARE(window.tray()->shownLevel(), StatusLevel::Ok);
    QVERIFY2(window.tray()->toolTip().contains(QStringLiteral("local engine off")), qPrintable(window.tray()->toolTip()));
    QVERIFY2(window.windowTitle().contains(QStringLiteral("local engine off")), qPrintable(window.windowTitle()));
    QVERIFY(eventsContain(window, QStringLiteral("Turned off; everything buffered was committed")));
    QCOMPARE(finished.count(), 0);

    // While off: M messages for this computer are not read; K for the remote are (the remote is still watched).
    // The remote's K are published after the local M, so once the remote has written them the broker has had the
    // M for a while: none may have come here.
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/local"), M, 0)).allDelivered());
    const qint64 remoteBefore = remote.status().value(QStringLiteral("written")).toInteger(-1);
    QVERIFY(remoteBefore >= 0);
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/remote"), K, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(remote.status().value(QStringLiteral("written")).toInteger(-1),
                              remoteBefore + qint64(K), 20000);
    QCOMPARE(remote.health(), RemoteInstance::Health::Ok);
    QCOMPARE(host.snapshot().received, N);
    QCOMPARE(host.snapshot().written, N);
    QCOMPARE(probe.count(), qint64(N));
    QVERIFY(host.isOff());
    QCOMPARE(finished.count(), 0);

    // Turned on: connected again; the persistent session hands over the M held meanwhile; the counters go on.
    window.engineToggleAction()->trigger();
    QCOMPARE(host.state(), EngineHost::State::On);
    QCOMPARE(window.localMode(), MainWindow::LocalMode::Engine);
    for (int i = 0; i < 7; ++i)
        QVERIFY(tabs->isTabEnabled(i));
    QVERIFY(tabs->tabToolTip(0).isEmpty());
    QVERIFY(window.pauseAction()->isEnabled());
    QVERIFY(window.settingsAction()->isEnabled());
    QVERIFY2(window.pauseAction()->toolTip().contains(QStringLiteral("Stop reading from the broker")),
             qPrintable(window.pauseAction()->toolTip()));
    QCOMPARE(window.engineToggleAction()->text(), QStringLiteral("Turn local engine &off…"));
    QTRY_VERIFY2_WITH_TIMEOUT(window.health()->mqttText().startsWith(QStringLiteral("Connected to ")),
                              qPrintable(window.health()->mqttText()), 15000);
    QTRY_COMPARE_WITH_TIMEOUT(host.snapshot().written, N + M, 20000);
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/local"), P, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(host.snapshot().written, N + M + P, 20000);
    QCOMPARE(host.snapshot().received, N + M + P);
    QCOMPARE(host.snapshot().dropped, 0u);
    QCOMPARE(probe.count(), qint64(N + M + P));
    QTRY_COMPARE(localCell(panel, InstancesPanel::HealthColumn), QStringLiteral("ok"));
    QTRY_COMPARE(panel.table()->item(localRow(panel), InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(),
                 qint64(N + M + P));
    QCOMPARE(finished.count(), 0);

    // A quit while off ends the run at once, as a clean stop.
    QVERIFY(turnOffThroughTheWindow(window));
    QTRY_VERIFY_WITH_TIMEOUT(host.isOff(), 20000);
    QCOMPARE(probe.count(), qint64(N + M + P));
    window.close();   // the close action is "quit"; with the engine off nothing is asked
    QTRY_COMPARE(finished.count(), 1);
    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.ending, RunOutcome::Ending::Stopped);
    QCOMPARE(outcome.unwritten, 0u);

    QVERIFY2(remoteProcess.stopCleanly(), qPrintable(remoteProcess.log().right(2000)));
}

void TstEngineOff::turnOnThatCannotStartStaysOff()
{
    // SQLite and the test broker; while off, another engine takes the spool directory (its lock), so turning on
    // cannot start: the host stays off with the reason, the window stays a monitor only, the totals are untouched;
    // once the other has gone, turning on works and the counters go on.
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/engineoff-XXXXXX"));
    const QString tag = QStringLiteral("engineoff-lock-%1").arg(QRandomGenerator::global()->generate());
    SubscriberSetup local;
    local.postgres = false;
    local.database = dir.filePath(QStringLiteral("r.sqlite"));
    local.topic = tag + QStringLiteral("/#");
    local.clientId = tag;
    local.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")));
    Engine engine(load(subscriberConfig(srv, local)));
    Desktop desktop(engine);
    QSignalSpy finished(&desktop, &Desktop::finished);
    desktop.start();
    MainWindow &window = desktop.window();
    EngineHost &host = desktop.host();
    QTRY_VERIFY_WITH_TIMEOUT(window.health()->mqttText().startsWith(QStringLiteral("Connected to ")), 15000);
    QVERIFY(runSimulation(simulation(srv, tag, 200, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(host.snapshot().written, 200u, 20000);
    QVERIFY(turnOffThroughTheWindow(window));
    QTRY_VERIFY_WITH_TIMEOUT(host.isOff(), 20000);

    SubscriberSetup other = local;
    other.clientId = tag + QStringLiteral("-other");
    auto holder = std::make_unique<Engine>(load(subscriberConfig(srv, other)));
    QVERIFY(holder->start());
    window.engineToggleAction()->trigger();
    QVERIFY(host.isOff());
    QCOMPARE(window.localMode(), MainWindow::LocalMode::EngineOff);
    QVERIFY(!window.tabs()->isTabEnabled(0));
    QCOMPARE(window.engineToggleAction()->text(), QStringLiteral("Turn local engine &on"));
    QVERIFY(eventsContain(window, QStringLiteral("the local engine stays off")));
    QCOMPARE(host.snapshot().written, 200u);
    QCOMPARE(finished.count(), 0);

    QSignalSpy holderStopped(holder.get(), &Engine::stopped);
    holder->stop();
    QVERIFY(holderStopped.wait(20000));
    holder.reset();
    window.engineToggleAction()->trigger();
    QCOMPARE(host.state(), EngineHost::State::On);
    QVERIFY(window.tabs()->isTabEnabled(0));
    QTRY_VERIFY_WITH_TIMEOUT(window.health()->mqttText().startsWith(QStringLiteral("Connected to ")), 15000);
    QVERIFY(runSimulation(simulation(srv, tag, 100, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(host.snapshot().written, 300u, 20000);
    QCOMPARE(ReadingsProbe::sqlite(local.database).count(), qint64(300));

    desktop.quit();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    QCOMPARE(finished.at(0).at(0).value<RunOutcome>().ending, RunOutcome::Ending::Stopped);
}

int main(int argc, char *argv[])
{
    return iot::test::runIsolatedGuiTest<TstEngineOff>(argc, argv, QStringLiteral("iot-subscriber-engineoff-test"));
}

#include "tst_engineoff.moc"
