// SPDX-License-Identifier: MIT
// The fleet view in the window: an offscreen MainWindow in monitor-only mode (no local engine) watching two real
// headless instances (real binaries, broker and PostgreSQL, each with its own observability port and token). Its
// Instances tab shows each instance's /api/v1/status and /metrics after a known stream; a killed instance turns
// unreachable within 5 s while the other stays ok, and is picked up again after a restart; a wrong token is a clear
// error; the tray shows the worst state of all; instances are remembered by a new window (URLs and names in
// QSettings, tokens in the token store: here the 0600 file, since tests have no credential store).
#include "addinstancedialog.h"
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "healthbar.h"
#include "isolatedguitest.h"
#include "instancespanel.h"
#include "instanceview.h"
#include "remotefeed.h"
#include "mainwindow.h"
#include "remoteinstance.h"
#include "subscriberprocess.h"
#include "testenv.h"
#include "tokenstore.h"
#include "trayicon.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QPointer>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <sys/stat.h>

using namespace iot;
using namespace iot::test;

namespace {

qint64 num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger(-1);
}

QUrl urlOf(const char *host, int port)
{
    return QUrl(QStringLiteral("http://%1:%2").arg(QLatin1String(host)).arg(port));
}

/// The table's cell of `column` in the row of `remote` (rows move when sorted).
QTableWidgetItem *cell(const InstancesPanel &panel, const RemoteInstance *remote, int column)
{
    QTableWidget *t = panel.table();
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, InstancesPanel::NameColumn)
            && t->item(r, InstancesPanel::NameColumn)->data(InstancesPanel::InstanceRole).value<void *>() == remote)
            return t->item(r, column);
    return nullptr;
}

} // namespace

class TstFleetWindow final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tokenStoreFallsBackToPrivateFile();
    void addDialogChecksUrl_data();
    void addDialogChecksUrl();
    void addAndRemoveThroughTheWindow();
    void monitorOnlyWindowWatchesTwoInstances();
};

void TstFleetWindow::tokenStoreFallsBackToPrivateFile()
{
    // No D-Bus session here (main() unsets it): no credential store, so the file, and the store says so.
    TokenStore store;
    QVERIFY(store.write(QStringLiteral("http://a.example:8001"), "tok-a"));
    QVERIFY(store.write(QStringLiteral("http://b.example:8001"), "tok-b"));
    QCOMPARE(store.backend(), TokenStore::Backend::File);
    QVERIFY2(store.description().contains(TokenStore::filePath()), qPrintable(store.description()));
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(TokenStore::filePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
    QFile f(TokenStore::filePath());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject held = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(held.value(QStringLiteral("http://a.example:8001")).toString(), QStringLiteral("tok-a"));
    QCOMPARE(held.value(QStringLiteral("http://b.example:8001")).toString(), QStringLiteral("tok-b"));
    // A new store (a new run) reads them back; removing one leaves the other, still 0600.
    TokenStore again;
    QCOMPARE(again.read(QStringLiteral("http://a.example:8001")), QByteArray("tok-a"));
    again.remove(QStringLiteral("http://a.example:8001"));
    QCOMPARE(again.read(QStringLiteral("http://a.example:8001")), QByteArray());
    QCOMPARE(again.read(QStringLiteral("http://b.example:8001")), QByteArray("tok-b"));
    QCOMPARE(::stat(QFile::encodeName(TokenStore::filePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
    again.remove(QStringLiteral("http://b.example:8001"));
}

void TstFleetWindow::addDialogChecksUrl_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("url");       // empty: refused
    QTest::addColumn<QString>("because");   // part of the words

    QTest::newRow("http") << "http://server.example:8001" << "http://server.example:8001" << "";
    QTest::newRow("https, slash, spaces") << "  https://10.0.0.5:9000/ " << "https://10.0.0.5:9000" << "";
    QTest::newRow("empty") << "" << "" << "Enter the instance's address";
    QTest::newRow("no scheme") << "server.example" << "" << "http:// or https://";
    QTest::newRow("ftp") << "ftp://server.example" << "" << "Only http and https";
    QTest::newRow("host:port") << "server:8001" << "" << "http:// or https:// in front";
    QTest::newRow("ip:port") << "127.0.0.1:8001" << "" << "http:// or https:// in front";
    QTest::newRow("no host") << "http://" << "" << "no host";
    QTest::newRow("path") << "http://server:8001/api/v1/status" << "" << "address only";
    QTest::newRow("password") << "http://u:p@server:8001" << "" << "Token field";
}

void TstFleetWindow::addDialogChecksUrl()
{
    QFETCH(QString, text);
    QFETCH(QString, url);
    QFETCH(QString, because);
    QString why;
    QCOMPARE(AddInstanceDialog::parseUrl(text, &why).toString(), url);
    QVERIFY2(why.contains(because), qPrintable(why));
    QCOMPARE(why.isEmpty(), !url.isEmpty());
    AddInstanceDialog dialog;
    dialog.urlEdit()->setText(text);
    QCOMPARE(dialog.buttons()->button(QDialogButtonBox::Ok)->isEnabled(), !url.isEmpty());
    QCOMPARE(dialog.problem(), why);
}

void TstFleetWindow::addAndRemoveThroughTheWindow()
{
    // The operator's path: Add instance… → the dialog (a bad URL keeps OK disabled, with the reason) → the row;
    // select it → Remove instance. Nobody listens on the port: the row turns unreachable, the detail area names it.
    const int port = freePort();
    MainWindow window(nullptr);
    window.show();
    QCOMPARE(window.instances()->instanceCount(), 0);
    window.addInstanceAction()->trigger();
    AddInstanceDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = window.findChild<AddInstanceDialog *>()) != nullptr);
    dialog->urlEdit()->setText(QStringLiteral("127.0.0.1:%1").arg(port));
    QVERIFY(!dialog->buttons()->button(QDialogButtonBox::Ok)->isEnabled());
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("instanceUrlProblem"))->text().contains(QStringLiteral("http")));
    dialog->urlEdit()->setText(QStringLiteral("http://127.0.0.1:%1").arg(port));
    dialog->nameEdit()->setText(QStringLiteral("nobody home"));
    dialog->tokenEdit()->setText(QStringLiteral("secret-of-nobody"));
    QVERIFY(dialog->buttons()->button(QDialogButtonBox::Ok)->isEnabled());
    dialog->buttons()->button(QDialogButtonBox::Ok)->click();
    QCOMPARE(window.instances()->instanceCount(), 1);
    RemoteInstance *remote = window.instances()->instance(0);
    QCOMPARE(remote->name(), QStringLiteral("nobody home"));
    QCOMPARE(TokenStore().read(remote->url().toString()), QByteArray("secret-of-nobody"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(*window.instances(), remote, InstancesPanel::HealthColumn)
                                  ? cell(*window.instances(), remote, InstancesPanel::HealthColumn)->text()
                                  : QString(),
                              QStringLiteral("unreachable"), 5000);
    QVERIFY(!cell(*window.instances(), remote, InstancesPanel::ProblemColumn)->text().isEmpty());
    QCOMPARE(window.tray()->shownLevel(), StatusLevel::Off);
    QVERIFY(!window.removeInstanceAction()->isEnabled());
    QVERIFY(!window.editInstanceAction()->isEnabled());
    window.instances()->table()->selectRow(cell(*window.instances(), remote, InstancesPanel::NameColumn)->row());
    QVERIFY(window.removeInstanceAction()->isEnabled());
    QVERIFY(window.editInstanceAction()->isEnabled());
    // Its view: the operator's name in the header, no figures, the banner saying why.
    const auto *details = qobject_cast<InstanceView *>(window.instanceDetails()->currentWidget());
    QVERIFY(details);
    QVERIFY2(details->titleLabel()->text().contains(QStringLiteral("nobody home")),
             qPrintable(details->titleLabel()->text()));
    QTRY_VERIFY(details->showsStale());
    QVERIFY(!details->feed()->hasData());
    // A health bar with no start time yet (no answer, or an engine not started) says so, not "Uptime 20794 d".
    HealthBar bar;
    bar.render(EngineSnapshot{}, QDateTime::currentMSecsSinceEpoch() * 1000, false, 0);
    QVERIFY2(bar.findChild<QLabel *>(QStringLiteral("uptime"))->text().startsWith(QStringLiteral("not started")),
             qPrintable(bar.findChild<QLabel *>(QStringLiteral("uptime"))->text()));
    QVERIFY2(details->staleBanner()->text().contains(QStringLiteral("127.0.0.1:%1").arg(port)),
             qPrintable(details->staleBanner()->text()));
    const QString key = remote->url().toString();
    window.removeInstanceAction()->trigger();
    QCOMPARE(window.instances()->instanceCount(), 0);
    QCOMPARE(TokenStore().read(key), QByteArray());
    QCOMPARE(QSettings().beginReadArray(QStringLiteral("fleet/instances")), 0);
    QVERIFY(!window.removeInstanceAction()->isEnabled());
}

void TstFleetWindow::monitorOnlyWindowWatchesTwoInstances()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dirA, dirB;
    const QString tag = QStringLiteral("fleetwin-%1").arg(QRandomGenerator::global()->generate());
    const QByteArray tokenA = "token-a-" + QByteArray::number(QRandomGenerator::global()->generate64());
    const QByteArray tokenB = "token-b-" + QByteArray::number(QRandomGenerator::global()->generate64());
    const int portA = freePort();
    const int portB = freePort();
    SubscriberSetup a;
    a.database = srv.pgDatabase;
    a.topic = tag + QStringLiteral("/a/#");
    a.clientId = tag + QStringLiteral("-a");
    a.prometheusPort = portA;
    a.extraObservabilityKeys = QStringLiteral("auth_token_file = \"%1\"\n").arg(writeTokenFile(dirA.path(), tokenA));
    SubscriberSetup b = a;
    b.topic = tag + QStringLiteral("/b/#");
    b.clientId = tag + QStringLiteral("-b");
    b.prometheusPort = portB;
    b.extraObservabilityKeys = QStringLiteral("auth_token_file = \"%1\"\n").arg(writeTokenFile(dirB.path(), tokenB));
    SubscriberProcess subA(dirA.path()), subB(dirB.path());
    const QString configA = subscriberConfig(srv, a);
    QVERIFY(subA.start(configA));
    QVERIFY(subB.start(subscriberConfig(srv, b)));
    QVERIFY2(subA.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subA.log()));
    QVERIFY2(subB.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subB.log()));

    // The monitor-only window: no engine, opens on Instances, the engine's tabs and controls disabled with a reason.
    auto window = std::make_unique<MainWindow>(nullptr);
    window->resize(1280, 820);
    window->show();
    QVERIFY(window->isMonitorOnly());
    QTabWidget *tabs = window->tabs();
    QCOMPARE(tabs->currentIndex(), 6);
    QVERIFY(tabs->tabText(6).contains(QStringLiteral("nstances")));
    for (int i = 0; i < 6; ++i) {
        QVERIFY(!tabs->isTabEnabled(i));
        QVERIFY(tabs->tabToolTip(i).contains(QStringLiteral("--monitor-only")));
    }
    QVERIFY(!window->pauseAction()->isEnabled());
    QVERIFY(!window->settingsAction()->isEnabled());
    QVERIFY(!window->instances()->hasLocal());   // no "this computer" row without a local engine
    // No instance yet: the credential store has not been asked (no keyring prompt for a window that watches none).
    QVERIFY2(window->tokenStoreLabel()->text().contains(QStringLiteral("asked when the first instance is added")),
             qPrintable(window->tokenStoreLabel()->text()));

    InstancesPanel &panel = *window->instances();
    RemoteInstance &remoteA = *window->addRemoteInstance(urlOf("127.0.0.1", portA), QStringLiteral("alpha"), tokenA);
    // Asked now, with no store on the bus: the file, and the label says so.
    QVERIFY2(window->tokenStoreLabel()->text().contains(QStringLiteral("readable only by you")),
             qPrintable(window->tokenStoreLabel()->text()));
    // The long line beside the buttons wraps: Add, Edit and Remove stay buttons, none pushed into an overflow menu.
    const auto shownAsButton = [](QAction *action) {
        for (QObject *o : action->associatedObjects())
            if (const auto *b = qobject_cast<QToolButton *>(o); b && b->isVisible())
                return true;
        return false;
    };
    window->resize(960, 820);   // narrower than the line with the file's path
    QTRY_VERIFY(shownAsButton(window->addInstanceAction()));
    QTRY_VERIFY(shownAsButton(window->editInstanceAction()));
    QTRY_VERIFY(shownAsButton(window->removeInstanceAction()));
    window->resize(1280, 820);
    RemoteInstance &remoteB = *window->addRemoteInstance(urlOf("127.0.0.1", portB), QStringLiteral("beta"), tokenB);
    // B once more under another address, with a wrong token.
    RemoteInstance &wrongB = *window->addRemoteInstance(urlOf("localhost", portB), QStringLiteral("beta, wrong"),
                                                        tokenB + "x");
    QCOMPARE(panel.instanceCount(), 3);

    // A known stream: 1,000 messages to A, 2,000 to B.
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/a"), 1000, 0)).allDelivered());
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/b"), 2000, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(num(remoteA.status(), "written"), 1000, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(num(remoteB.status(), "written"), 2000, 30000);
    const struct { RemoteInstance *remote; int port; QByteArray token; qint64 count; } both[] = {
        {&remoteA, portA, tokenA, 1000}, {&remoteB, portB, tokenB, 2000}};
    for (const auto &i : both) {
        const QByteArray bearer = "Authorization: Bearer " + i.token + "\r\n";
        const QJsonObject direct
            = QJsonDocument::fromJson(httpGet(quint16(i.port), "/api/v1/status", 5000, bearer).body).object();
        const QByteArray metrics = httpGet(quint16(i.port), "/metrics", 5000, bearer).body;
        QCOMPARE(num(direct, "written"), i.count);
        QCOMPARE(metricSample(metrics, "iot_subscriber_messages_received_total"), double(i.count));
        QCOMPARE(metricSample(metrics, "iot_subscriber_rows_written_total"), double(i.count));
        // The window's cells: the same figures, the health pill ok, the operator's name.
        QTRY_COMPARE(cell(panel, i.remote, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(), i.count);
        QCOMPARE(cell(panel, i.remote, InstancesPanel::ReceivedColumn)->data(Qt::UserRole).toLongLong(),
                 num(direct, "received"));
        QCOMPARE(cell(panel, i.remote, InstancesPanel::BacklogColumn)->data(Qt::UserRole).toLongLong(),
                 num(direct, "in_flight"));
        QCOMPARE(cell(panel, i.remote, InstancesPanel::WrittenColumn)->text(), QLocale().toString(i.count));
        QCOMPARE(cell(panel, i.remote, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"));
        QVERIFY(cell(panel, i.remote, InstancesPanel::NameColumn)->text().startsWith(i.remote->name()));
    }
    // The wrong token: an error that says so, no figures.
    QTRY_COMPARE(wrongB.health(), RemoteInstance::Health::Error);
    QTRY_VERIFY(cell(panel, &wrongB, InstancesPanel::ProblemColumn)
                && cell(panel, &wrongB, InstancesPanel::ProblemColumn)->text().contains(QStringLiteral("refused the token")));
    QCOMPARE(cell(panel, &wrongB, InstancesPanel::HealthColumn)->text(), QStringLiteral("error"));
    QCOMPARE(cell(panel, &wrongB, InstancesPanel::WrittenColumn)->text(), QStringLiteral("–"));
    // The tray: the worst of all (the refused token).
    QTRY_COMPARE(window->tray()->shownLevel(), StatusLevel::Error);
    QVERIFY2(window->tray()->toolTip().contains(QStringLiteral("2 of 3 instance(s) ok")),
             qPrintable(window->tray()->toolTip()));
    // Selecting a row shows that instance's own view in the detail area, fed from its API: B's 2,000 written.
    panel.table()->selectRow(cell(panel, &remoteB, InstancesPanel::NameColumn)->row());
    QCOMPARE(window->instanceDetails()->currentWidget()->property("instance").value<void *>(), &remoteB);
    const auto *viewB = qobject_cast<InstanceView *>(window->instanceDetails()->currentWidget());
    QVERIFY(viewB);
    QTRY_COMPARE(viewB->feed()->snapshot().written, quint64(2000));
    QVERIFY(!viewB->showsStale());
    const QString shot = qEnvironmentVariable("IOT_FLEET_WINDOW_SCREENSHOT");
    if (!shot.isEmpty())
        QVERIFY(window->grab().save(shot));

    // A killed: unreachable within 5 s (from the kill), its last figures kept but stale; B stays ok.
    QElapsedTimer clock;
    clock.start();
    subA.kill();
    QTRY_COMPARE_WITH_TIMEOUT(cell(panel, &remoteA, InstancesPanel::HealthColumn)->text(),
                              QStringLiteral("unreachable"), 6000);
    const qint64 unreachableMs = clock.elapsed();
    qInfo("killed instance shown unreachable after %lld ms", unreachableMs);
    QVERIFY2(unreachableMs <= 5000, qPrintable(QString::number(unreachableMs)));
    QVERIFY(cell(panel, &remoteA, InstancesPanel::WrittenColumn)->text().endsWith(QStringLiteral("(stale)")));
    QCOMPARE(cell(panel, &remoteB, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"));
    QVERIFY(!remoteB.stale());
    QTRY_COMPARE(window->tray()->shownLevel(), StatusLevel::Off);   // unreachable counts as worst
    QVERIFY(subA.waitForFinished(5000));

    // A restarted: ok again and counting.
    QVERIFY(subA.start(configA));
    QVERIFY2(subA.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subA.log()));
    QTRY_COMPARE_WITH_TIMEOUT(cell(panel, &remoteA, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"), 10000);
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/a"), 300, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(cell(panel, &remoteA, InstancesPanel::ReceivedColumn)->data(Qt::UserRole).toLongLong(),
                              300, 20000);
    QTRY_COMPARE(window->tray()->shownLevel(), StatusLevel::Error);   // the wrong token is left

    // Remembered: a new window watches the same three, with their tokens from the store, none in QSettings.
    window.reset();
    QSettings().sync();
    QFile settingsFile(QSettings().fileName());
    QVERIFY(settingsFile.open(QIODevice::ReadOnly));
    const QByteArray settingsText = settingsFile.readAll();
    QVERIFY(settingsText.contains("alpha"));
    QVERIFY(!settingsText.contains(tokenA) && !settingsText.contains(tokenB));
    MainWindow again(nullptr);
    InstancesPanel &panel2 = *again.instances();
    QCOMPARE(panel2.instanceCount(), 3);
    QCOMPARE(panel2.instance(0)->url(), urlOf("127.0.0.1", portA));
    QCOMPARE(panel2.instance(0)->name(), QStringLiteral("alpha"));
    QCOMPARE(panel2.instance(2)->name(), QStringLiteral("beta, wrong"));
    QTRY_COMPARE_WITH_TIMEOUT(panel2.instance(0)->health(), RemoteInstance::Health::Ok, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(panel2.instance(1)->health(), RemoteInstance::Health::Ok, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(panel2.instance(2)->health(), RemoteInstance::Health::Error, 5000);
    QCOMPARE(num(panel2.instance(1)->status(), "written"), 2000);
    // The instance looked at last (B) is shown again, its view filled.
    QCOMPARE(again.instanceDetails()->currentWidget()->property("instance").value<void *>(), panel2.instance(1));
    const auto *viewAgain = qobject_cast<InstanceView *>(again.instanceDetails()->currentWidget());
    QVERIFY(viewAgain);
    QTRY_COMPARE(viewAgain->feed()->snapshot().written, quint64(2000));
    // Edited in place: the refused token fixed and the name changed, without removing the
    // row or restarting anything; the token field says "unchanged" and never shows the kept token.
    again.resize(1280, 820);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    RemoteInstance *wrong = panel2.instance(2);
    QTableWidget *table2 = panel2.table();
    table2->selectRow(cell(panel2, wrong, InstancesPanel::NameColumn)->row());
    QVERIFY(again.editInstanceAction()->isEnabled());
    // A double-click on the row opens the same dialog (the view's signal; QTest's synthetic double-click does not
    // reach offscreen item views); cancelled, nothing changes.
    Q_EMIT table2->cellDoubleClicked(cell(panel2, wrong, InstancesPanel::NameColumn)->row(), 0);
    AddInstanceDialog *edit = nullptr;
    QTRY_VERIFY((edit = again.findChild<AddInstanceDialog *>()) != nullptr);
    QVERIFY(edit->isEditing());
    QPointer<AddInstanceDialog> cancelled(edit);
    edit->buttons()->button(QDialogButtonBox::Cancel)->click();
    QTRY_VERIFY(cancelled.isNull());
    QCOMPARE(wrong->name(), QStringLiteral("beta, wrong"));
    // Edit instance…: the refused token fixed and the name changed.
    again.editInstanceAction()->trigger();
    QTRY_VERIFY((edit = again.findChild<AddInstanceDialog *>()) != nullptr);
    QVERIFY(edit->isEditing());
    QCOMPARE(edit->urlEdit()->text(), urlOf("localhost", portB).toString());
    QCOMPARE(edit->nameEdit()->text(), QStringLiteral("beta, wrong"));
    QVERIFY(edit->tokenEdit()->text().isEmpty());
    QVERIFY2(edit->tokenEdit()->placeholderText().contains(QStringLiteral("unchanged")),
             qPrintable(edit->tokenEdit()->placeholderText()));
    edit->nameEdit()->setText(QStringLiteral("beta, fixed"));
    edit->tokenEdit()->setText(QString::fromLatin1(tokenB));
    edit->buttons()->button(QDialogButtonBox::Ok)->click();
    QCOMPARE(panel2.instanceCount(), 3);
    QCOMPARE(panel2.instance(2), wrong);   // the same row, not a new one
    QCOMPARE(wrong->name(), QStringLiteral("beta, fixed"));
    QCOMPARE(wrong->token(), tokenB);
    QTRY_COMPARE_WITH_TIMEOUT(wrong->health(), RemoteInstance::Health::Ok, 3000);
    QTRY_COMPARE(cell(panel2, wrong, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(), 2000);
    QCOMPARE(cell(panel2, wrong, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"));
    QVERIFY2(cell(panel2, wrong, InstancesPanel::NameColumn)->text().startsWith(QStringLiteral("beta, fixed")),
             qPrintable(cell(panel2, wrong, InstancesPanel::NameColumn)->text()));
    QCOMPARE(TokenStore().read(urlOf("localhost", portB).toString()), tokenB);
    {
        QSettings s;
        s.beginReadArray(QStringLiteral("fleet/instances"));
        s.setArrayIndex(2);
        QCOMPARE(s.value(QStringLiteral("name")).toString(), QStringLiteral("beta, fixed"));
    }
    // A new address is another instance: replaced, the kept token carried over when none is typed.
    RemoteInstance *moved = again.editRemoteInstance(wrong, urlOf("127.0.0.1", portB), QStringLiteral("beta, moved"),
                                                     std::nullopt);
    QVERIFY(moved);
    QCOMPARE(panel2.instanceCount(), 3);
    QCOMPARE(moved->url(), urlOf("127.0.0.1", portB));
    QCOMPARE(moved->token(), tokenB);
    QTRY_COMPARE_WITH_TIMEOUT(moved->health(), RemoteInstance::Health::Ok, 3000);
    QCOMPARE(TokenStore().read(urlOf("localhost", portB).toString()), QByteArray());   // nothing watches it now
    // Removed: forgotten with its token.
    again.removeRemoteInstance(panel2.instance(2));
    QCOMPARE(panel2.instanceCount(), 2);
    QCOMPARE(TokenStore().read(urlOf("127.0.0.1", portB).toString()), tokenB);   // B is still watched there
    QCOMPARE(QSettings().beginReadArray(QStringLiteral("fleet/instances")), 2);

    QVERIFY2(subA.stopCleanly(), qPrintable(subA.log().right(2000)));
    QVERIFY2(subB.stopCleanly(), qPrintable(subB.log().right(2000)));
}

int main(int argc, char *argv[])
{
    return iot::test::runIsolatedGuiTest<TstFleetWindow>(argc, argv, QStringLiteral("iot-subscriber-fleetwin-test"));
}

#include "tst_fleetwindow.moc"
