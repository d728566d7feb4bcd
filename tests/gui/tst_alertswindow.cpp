// SPDX-License-Identifier: MIT
// The Alerts tab and the tray's notification path, offscreen, with a real engine against the test broker (SQLite
// database): a threshold rule fires — a row under "Firing now", a history row, the tab title, a notification —
// and resolves; a window opened afterwards shows both from the stored history.
#include "alertspanel.h"
#include "config/configloader.h"
#include "engine.h"
#include "enginehost.h"
#include "mainwindow.h"
#include "publisher.h"
#include "settingsdialog.h"
#include "testenv.h"
#include "trayicon.h"

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

class TstAlertsWindow final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void firesAndResolvesInTheWindow();
};

void TstAlertsWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_alertswindow"));
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
}

void TstAlertsWindow::firesAndResolvesInTheWindow()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-alerts-XXXXXX"));
    QVERIFY(dir.isValid());
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("alerts.sqlite"));
    setup.topic = QStringLiteral("gui_alerts/#");
    setup.clientId = QStringLiteral("gui_alerts");
    setup.extraToml = QStringLiteral(R"(
[spool]
dir = "%1"

[alerting]
evaluate_interval_sec = 0.1

[[alerts]]
name = "room_hot"
topic = "gui_alerts/+/climate"
field = "/temp"
above = 28
hysteresis = 1
severity = "critical"
summary = "Room above 28 °C"
)").arg(dir.filePath(QStringLiteral("spool")));
    const auto config = ConfigLoader::loadString(subscriberConfig(srv, setup).toUtf8(), QStringLiteral("test.toml"));
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));

    Engine engine(config.value());
    EngineHost host(engine);
    MainWindow window(host);
    window.show();
    QSignalSpy notified(window.tray(), &TrayIcon::alertNotified);
    QVERIFY(host.start().ok());
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().mqtt.state, MessageSource::State::Connected, 10000);
    AlertsPanel *panel = window.alerts();
    QCOMPARE(panel->firingCount(), 0);

    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY(pub.connect());
    QVERIFY(pub.publish("gui_alerts/lab1/climate", R"({"temp": 30.5})", 1));
    QTRY_COMPARE_WITH_TIMEOUT(panel->firingCount(), 1, 10000);
    QVERIFY2(panel->firingText(0).contains(QStringLiteral("room_hot | gui_alerts/lab1/climate | critical | 30.5")),
             qPrintable(panel->firingText(0)));
    QCOMPARE(panel->historyCount(), 1);
    QVERIFY(panel->historyText(0).contains(QStringLiteral("FIRING (critical)")));
    const int alertsTab = window.tabs()->indexOf(panel);
    QVERIFY(alertsTab >= 0);
    QCOMPARE(window.tabs()->tabText(alertsTab), QStringLiteral("&Alerts (1 firing)"));
    // The desktop notification, with the rule's summary and the topic.
    QCOMPARE(notified.count(), 1);
    QCOMPARE(notified.at(0).at(0).toString(), QStringLiteral("Alert room_hot (critical)"));
    QCOMPARE(notified.at(0).at(1).toString(), QStringLiteral("Room above 28 °C — topic gui_alerts/lab1/climate"));

    window.tabs()->setCurrentIndex(alertsTab);
    const QString shot = qEnvironmentVariable("IOT_ALERTS_SCREENSHOT");
    if (!shot.isEmpty()) {
        window.resize(1100, 650);
        QTest::qWait(300);
        QVERIFY(window.grab().save(shot));
    }

    QVERIFY(pub.publish("gui_alerts/lab1/climate", R"({"temp": 27.5})", 1));   // inside the hysteresis: firing
    QVERIFY(pub.publish("gui_alerts/lab1/climate", R"({"temp": 26.0})", 1));   // resolved
    QTRY_COMPARE_WITH_TIMEOUT(panel->firingCount(), 0, 10000);
    QCOMPARE(panel->historyCount(), 2);
    QVERIFY(panel->historyText(0).contains(QStringLiteral("resolved after")));
    QCOMPARE(window.tabs()->tabText(alertsTab), QStringLiteral("&Alerts"));
    QCOMPARE(notified.count(), 1);   // a resolve is no notification
    pub.disconnect();

    QSignalSpy finished(&host, &EngineHost::finished);
    host.stop();
    QVERIFY(finished.wait(30000));

    // After a restart the tab shows what happened before, marked stored, and nothing as firing.
    Engine again(config.value());
    EngineHost againHost(again);
    MainWindow againWindow(againHost);
    AlertsPanel *stored = againWindow.alerts();
    QCOMPARE(stored->firingCount(), 0);
    QCOMPARE(stored->historyCount(), 2);
    QVERIFY2(stored->historyText(0).contains(QStringLiteral("resolved after"))
                 && stored->historyText(0).contains(QStringLiteral("stored")),
             qPrintable(stored->historyText(0)));
    QVERIFY2(stored->historyText(1).contains(QStringLiteral("room_hot | gui_alerts/lab1/climate | FIRING (critical) · stored | 30.5")),
             qPrintable(stored->historyText(1)));
    const QString storedShot = qEnvironmentVariable("IOT_ALERTS_STORED_SCREENSHOT");
    if (!storedShot.isEmpty()) {
        againWindow.tabs()->setCurrentIndex(againWindow.tabs()->indexOf(stored));
        againWindow.resize(1100, 650);
        againWindow.show();
        QTest::qWait(300);
        QVERIFY(againWindow.grab().save(storedShot));
    }
}

QTEST_MAIN(TstAlertsWindow)
#include "tst_alertswindow.moc"
