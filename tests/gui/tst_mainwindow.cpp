// SPDX-License-Identifier: MIT
// The monitor window on a real engine (in this process) against the test broker and PostgreSQL / SQLite: health
// words, counters, balance, charts, topic tree, dead letters, pause, a broker outage and reconnect, a database that
// is down, settings that validate and restart ingestion without losing buffered data, and the close behaviour.
#include "chartpanel.h"
#include "config/configloader.h"
#include "counterspanel.h"
#include "deadlettermodel.h"
#include "desktop.h"
#include "engine.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "httpclient.h"
#include "instancespanel.h"
#include "mainwindow.h"
#include "observability/observability.h"
#include "problemspanel.h"
#include "readingsprobe.h"
#include "settingsdialog.h"
#include "simulation.h"
#include "testenv.h"
#include "topicdetails.h"
#include "topicpanel.h"
#include "topictreemodel.h"
#include "trayicon.h"

#include <QAction>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace iot;
using namespace iot::test;

namespace {

/// Engine + host + window, as Desktop wires them; stops the engine gracefully at the end.
struct Harness
{
    std::unique_ptr<Engine> engine;
    std::unique_ptr<EngineHost> host;
    std::unique_ptr<MainWindow> window;

    explicit Harness(const Config &config)
        : engine(std::make_unique<Engine>(config)),
          host(std::make_unique<EngineHost>(*engine)),
          window(std::make_unique<MainWindow>(*host))
    {
        window->show();
        const Status st = host->start();
        if (!st)
            qWarning("engine did not start: %s", qPrintable(st.error().message));
    }
    ~Harness()
    {
        if (host->isRunning()) {
            QSignalSpy finished(host.get(), &EngineHost::finished);
            host->stop();
            finished.wait(30000);
        }
        window.reset();
        host.reset();
        engine.reset();
    }
    QString counter(const char *key) const { return window->counters()->value(QLatin1String(key)); }
    bool eventsContain(const QString &text) const
    {
        for (int i = 0; i < window->events()->count(); ++i)
            if (window->events()->entry(i).contains(text))
                return true;
        return false;
    }
};

Config load(const QString &toml, const QString &name = QStringLiteral("test.toml"))
{
    auto r = ConfigLoader::loadString(toml.toUtf8(), name);
    if (!r)
        qFatal("bad test config: %s", qPrintable(r.error().message));
    return r.value();
}

QString spoolToml(const QString &dir)
{
    return QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir);
}

/// Publishes in a background thread (runSimulation blocks) so the window keeps being driven by the event loop.
std::future<SimStats> publish(const Servers &srv, int port, const QByteArray &prefix, quint64 count, quint64 seqStart,
                              quint64 invalidEvery = 0, double rate = 0)
{
    SimOptions sim;
    sim.publish.host = srv.mqttHost;
    sim.publish.port = port;
    sim.publish.qos = 1;
    sim.payload.topicPrefix = prefix;
    sim.payload.sensors = 8;
    sim.payload.rooms = 2;
    sim.count = count;
    sim.seqStart = seqStart;
    sim.invalidEvery = invalidEvery;
    sim.rate = rate;
    sim.quiet = true;
    return std::async(std::launch::async, [sim] { return runSimulation(sim); });
}

double maxY(const QLineSeries *s)
{
    double m = 0;
    for (const QPointF &p : s->points())
        m = std::max(m, p.y());
    return m;
}

} // namespace

class TstMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void ingestShowsEverywhere_data();
    void ingestShowsEverywhere();
    void brokerOutageAndReconnect();
    void databaseDown();
    void settingsValidateAndRestartWithoutLoss();
    void metricsFollowSettingsRestart();
    void closeAndGeometry();
};

void TstMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TstMainWindow::ingestShowsEverywhere_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("sqlite") << false;
    QTest::newRow("postgresql") << true;
}

void TstMainWindow::ingestShowsEverywhere()
{
    QFETCH(bool, postgres);
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-XXXXXX"));
    const QString tag = postgres ? QStringLiteral("gui_pg") : QStringLiteral("gui_lite");
    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    Harness h(load(subscriberConfig(srv, setup) + spoolToml(dir.filePath(QStringLiteral("spool")))));
    HealthBar *health = h.window->health();

    QTRY_VERIFY2_WITH_TIMEOUT(health->mqttText().startsWith(
                                  QStringLiteral("Connected to %1:%2 since ").arg(srv.mqttHost).arg(srv.mqttPort)),
                              qPrintable(health->mqttText()), 15000);
    QTRY_VERIFY2_WITH_TIMEOUT(health->databaseText().startsWith(QStringLiteral("Connected to ")),
                              qPrintable(health->databaseText()), 15000);
    QCOMPARE(health->mqttLevel(), StatusLevel::Ok);
    QCOMPARE(health->readingText(), QStringLiteral("Reading"));
    QVERIFY(h.eventsContain(QStringLiteral("MQTT: Connected to")));

    // 2,000 messages from 8 sensors at 2,000/s, every 500th a broken payload (4 dead letters).
    auto run = publish(srv, srv.mqttPort, tag.toUtf8(), 2000, 1, 500, 2000);
    QTRY_VERIFY_WITH_TIMEOUT(run.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 30000);
    const SimStats stats = run.get();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));

    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("1,996  (")), 20000);
    QVERIFY(h.counter("received").startsWith(QStringLiteral("2,000  (")));
    QCOMPARE(h.counter("deadLettered"), QStringLiteral("4"));
    QCOMPARE(h.counter("dropped"), QStringLiteral("0"));
    QTRY_VERIFY(h.counter("inFlight").startsWith(QStringLiteral("0  (")));
    QVERIFY(h.window->counters()->balanced());
    QVERIFY2(h.window->counters()->balanceText().startsWith(
                 QStringLiteral("received 2,000 = written 1,996 + dead-lettered 4 + dropped 0 + in flight 0")),
             qPrintable(h.window->counters()->balanceText()));
    QVERIFY(h.counter("latency").startsWith(QStringLiteral("p50 ")));
    QCOMPARE(probe.count(), qint64(1996));

    // The Instances tab's "this computer" row: the same figures as the counters, and the window's own state.
    InstancesPanel *fleet = h.window->instances();
    QVERIFY(fleet->hasLocal());
    QTableWidget *table = fleet->table();
    int local = -1;
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, InstancesPanel::NameColumn)->data(InstancesPanel::LocalRole).toBool())
            local = r;
    QVERIFY(local >= 0);
    QTRY_COMPARE(table->item(local, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(), 1996);
    QCOMPARE(table->item(local, InstancesPanel::ReceivedColumn)->data(Qt::UserRole).toLongLong(), 2000);
    QCOMPARE(table->item(local, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"));
    QCOMPARE(h.window->tray()->shownLevel(), StatusLevel::Ok);

    // Charts: one point per snapshot in the window; the rates went above zero, the buffer was used.
    ChartPanel *charts = h.window->charts();
    QVERIFY(charts->receivedSeries()->count() >= 5);
    QCOMPARE(charts->receivedSeries()->count(), charts->writtenSeries()->count());
    QVERIFY2(maxY(charts->receivedSeries()) > 100, qPrintable(QString::number(maxY(charts->receivedSeries()))));
    QVERIFY(maxY(charts->writtenSeries()) > 100);
    QCOMPARE(charts->inFlightSeries()->count(), charts->receivedSeries()->count());

    // Topic tree: 8 sensors in 2 rooms under the prefix; counts add up to what was written.
    TopicPanel *topics = h.window->topics();
    TopicTreeModel *model = topics->model();
    QTRY_COMPARE(model->topicCount(), 8);
    const QModelIndex root = model->indexOfTopic(tag);
    QVERIFY(root.isValid());
    QCOMPARE(model->rowCount(root), 2);
    QTRY_COMPARE(root.siblingAtColumn(TopicTreeModel::CountColumn).data().toString(), QStringLiteral("1,996"));
    const QString sensorTopic = tag + QStringLiteral("/lab-1/s-001");
    QVERIFY(model->indexOfTopic(sensorTopic).isValid());
    QVERIFY(h.window->tabs()->tabText(1).contains(QStringLiteral("8 topics")));

    // Selecting a topic shows its payload pretty-printed and offers its numbers for plotting.
    h.window->tabs()->setCurrentIndex(1);
    topics->selectTopic(sensorTopic);
    TopicDetails *details = topics->details();
    QTRY_VERIFY(details->payloadText().contains(QStringLiteral("\"seq\": ")));
    QVERIFY(details->numericFields().contains(QStringLiteral("temperature")));
    details->setFieldPlotted(QStringLiteral("temperature"), true);
    QVERIFY(details->fieldSeries(QStringLiteral("temperature")));
    QVERIFY(details->fieldSeries(QStringLiteral("temperature"))->count() >= 1);

    // Problems: the four dead letters, with topic and reason.
    ProblemsPanel *problems = h.window->problems();
    QTRY_COMPARE(problems->deadLetters()->rowCount(), 4);
    QVERIFY(problems->deadLetters()->at(0).topic.startsWith(tag.toUtf8()));
    QVERIFY(!problems->deadLetters()->at(0).reason.isEmpty());
    QVERIFY(h.window->tabs()->tabText(2).contains(QStringLiteral("new")));

    // Pause: nothing is read while paused (three snapshots later the count stands still), all of it after resuming.
    h.window->pauseAction()->trigger();
    QTRY_VERIFY(health->readingText().startsWith(QStringLiteral("Paused by operator")));
    QVERIFY(h.eventsContain(QStringLiteral("Operator: Ingestion paused")));
    auto more = publish(srv, srv.mqttPort, tag.toUtf8(), 100, 10001);
    QTRY_VERIFY_WITH_TIMEOUT(more.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(more.get().allDelivered());
    QSignalSpy snapshots(h.host.get(), &EngineHost::snapshotUpdated);
    QTRY_VERIFY(snapshots.count() >= 3);
    QVERIFY(h.counter("received").startsWith(QStringLiteral("2,000  (")));
    h.window->pauseAction()->trigger();
    QTRY_COMPARE(health->readingText(), QStringLiteral("Reading"));
    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("2,096  (")), 20000);
    QCOMPARE(probe.count(), qint64(2096));
}

void TstMainWindow::brokerOutageAndReconnect()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-broker-XXXXXX"));
    const int port = freePort();
    const QString brokerDir = dir.filePath(QStringLiteral("broker"));
    QString out;
    QVERIFY2(srv.startBroker(brokerDir, port, &out), qPrintable(out));
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = QStringLiteral("gui_broker/#");
    setup.clientId = QStringLiteral("gui_broker");
    setup.mqttPort = port;
    Harness h(load(subscriberConfig(srv, setup) + spoolToml(dir.filePath(QStringLiteral("spool")))));
    HealthBar *health = h.window->health();
    const QString connected = QStringLiteral("Connected to %1:%2 since ").arg(srv.mqttHost).arg(port);
    QTRY_VERIFY2_WITH_TIMEOUT(health->mqttText().startsWith(connected), qPrintable(health->mqttText()), 15000);

    auto run = publish(srv, port, "gui_broker", 200, 1);
    QTRY_VERIFY_WITH_TIMEOUT(run.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(run.get().allDelivered());
    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("200  (")), 15000);

    // The broker goes away: the window says so in words, with the attempt and the next try.
    QVERIFY2(srv.stopBroker(brokerDir, &out), qPrintable(out));
    QTRY_VERIFY2_WITH_TIMEOUT(health->mqttText().startsWith(QStringLiteral("Reconnecting (attempt ")),
                              qPrintable(health->mqttText()), 15000);
    QVERIFY2(health->mqttText().contains(QStringLiteral("next try in ")) ||
                 health->mqttText().contains(QStringLiteral("retrying now")),
             qPrintable(health->mqttText()));
    QCOMPARE(health->mqttLevel(), StatusLevel::Warning);
    QVERIFY(h.window->windowTitle().contains(QStringLiteral("MQTT reconnecting")));
    QVERIFY(h.eventsContain(QStringLiteral("MQTT: Reconnecting (attempt ")));
    h.window->reconnectAction()->trigger();
    QVERIFY(h.eventsContain(QStringLiteral("Operator: Reconnect requested")));

    // Back: connected again, one reconnect counted, and new messages flow.
    QVERIFY2(srv.startBroker(brokerDir, port, &out), qPrintable(out));
    QTRY_VERIFY2_WITH_TIMEOUT(health->mqttText().startsWith(connected), qPrintable(health->mqttText()), 20000);
    QTRY_VERIFY(h.counter("reconnects").startsWith(QStringLiteral("MQTT 1 ·")));
    QVERIFY(h.window->events()->entry(0).startsWith(QStringLiteral("MQTT: Connected to")));
    auto again = publish(srv, port, "gui_broker", 200, 1001);
    QTRY_VERIFY_WITH_TIMEOUT(again.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(again.get().allDelivered());
    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("400  (")), 15000);
    QVERIFY(h.window->counters()->balanced());
    h.host->stop();
    QSignalSpy finished(h.host.get(), &EngineHost::finished);
    QVERIFY(finished.wait(20000));
    QTRY_COMPARE(health->mqttText(), QStringLiteral("Stopped"));
    srv.stopBroker(brokerDir);
}

void TstMainWindow::databaseDown()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-db-XXXXXX"));
    Servers nowhere = srv;
    nowhere.pgPort = freePort();   // nothing listens there
    SubscriberSetup setup;
    setup.database = QStringLiteral("gui_down");
    setup.topic = QStringLiteral("gui_down/#");
    setup.clientId = QStringLiteral("gui_down");
    setup.retryDelay = 0.5;
    Harness h(load(subscriberConfig(nowhere, setup) + spoolToml(dir.filePath(QStringLiteral("spool")))));
    HealthBar *health = h.window->health();
    QTRY_VERIFY2_WITH_TIMEOUT(health->databaseText().startsWith(QStringLiteral("Retrying (attempt ")),
                              qPrintable(health->databaseText()), 15000);
    QCOMPARE(health->databaseLevel(), StatusLevel::Error);
    QTRY_VERIFY2_WITH_TIMEOUT(health->databaseText().startsWith(QStringLiteral("Retrying (attempt 2")),
                              qPrintable(health->databaseText()), 15000);
    QVERIFY(h.window->windowTitle().contains(QStringLiteral("database unavailable")));
    QVERIFY(h.eventsContain(QStringLiteral("Database: Retrying (attempt 1")));
    // A warning line reached the log pane.
    QTRY_VERIFY(h.window->problems()->logView()->toPlainText().contains(QStringLiteral("database unavailable")));
}

void TstMainWindow::settingsValidateAndRestartWithoutLoss()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-settings-XXXXXX"));
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = QStringLiteral("gui_settings/#");
    setup.clientId = QStringLiteral("gui_settings");
    setup.batchSize = 100000;
    setup.flushInterval = 60;   // everything stays buffered until the restart commits it
    const QString spoolA = spoolToml(dir.filePath(QStringLiteral("spool-a")));
    const QString path = dir.filePath(QStringLiteral("config.toml"));
    const QString original = subscriberConfig(srv, setup) + spoolA;
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(original.toUtf8());
    }
    ReadingsProbe probe = ReadingsProbe::sqlite(setup.database);
    Harness h(load(original, path));
    QTRY_VERIFY_WITH_TIMEOUT(h.window->health()->mqttText().startsWith(QStringLiteral("Connected")), 15000);

    auto run = publish(srv, srv.mqttPort, "gui_settings", 300, 1);
    QTRY_VERIFY_WITH_TIMEOUT(run.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(run.get().allDelivered());
    QTRY_VERIFY(h.counter("received").startsWith(QStringLiteral("300  (")));
    QVERIFY(h.counter("inFlight").startsWith(QStringLiteral("300  (")));

    // Invalid text is refused with the position of the problem, and the file stays as it was.
    SettingsDialog *dialog = h.window->openSettings();
    QCOMPARE(dialog->path(), path);
    QCOMPARE(dialog->text(), original);
    dialog->setText(original + QStringLiteral("\n[subscriber]\nbatch_size = \"many\"\n"));
    QVERIFY(!dialog->saveAndApply());
    QVERIFY2(dialog->message().contains(path + QLatin1Char(':')), qPrintable(dialog->message()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(file.readAll()), original);
    file.close();

    // Valid: saved, then the engine stops (committing the 300 buffered) and a new one starts on the same spool
    // directory (the stopped engine has released it); then once more with a new spool directory.
    setup.flushInterval = 0.2;
    setup.batchSize = 40;
    const QString sameSpool = subscriberConfig(srv, setup) + spoolA;
    QSignalSpy failed(h.host.get(), &EngineHost::restartFailed);
    QSignalSpy restarted(h.host.get(), &EngineHost::restarted);
    dialog->setText(sameSpool);
    QVERIFY(dialog->saveAndApply());
    QVERIFY(restarted.wait(20000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    QCOMPARE(h.host->config().subscriber.batchSize, 40);
    restarted.clear();
    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("300  (")), 20000);
    QCOMPARE(probe.count(), qint64(300));
    QCOMPARE(h.counter("dropped"), QStringLiteral("0"));
    QTRY_VERIFY_WITH_TIMEOUT(h.window->health()->mqttText().startsWith(QStringLiteral("Connected")), 15000);

    setup.batchSize = 50;
    const QString newSpool = subscriberConfig(srv, setup) + spoolToml(dir.filePath(QStringLiteral("spool-b")));
    dialog = h.window->openSettings();
    dialog->setText(newSpool);
    QVERIFY(dialog->saveAndApply());
    QTRY_VERIFY_WITH_TIMEOUT(!restarted.isEmpty(), 20000);
    QCOMPARE(h.host->config().subscriber.batchSize, 50);
    QVERIFY(h.eventsContain(QStringLiteral("Engine: Restarted with the new settings")));
    QTRY_VERIFY_WITH_TIMEOUT(h.window->health()->mqttText().startsWith(QStringLiteral("Connected")), 15000);
    // Counters carry on across the restart; the new engine ingests.
    auto more = publish(srv, srv.mqttPort, "gui_settings", 100, 1001);
    QTRY_VERIFY_WITH_TIMEOUT(more.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(more.get().allDelivered());
    QTRY_VERIFY_WITH_TIMEOUT(h.counter("written").startsWith(QStringLiteral("400  (")), 20000);
    QVERIFY(h.counter("received").startsWith(QStringLiteral("400  (")));
    QVERIFY(h.window->counters()->balanced());
    QCOMPARE(probe.count(), qint64(400));
    QVERIFY(failed.isEmpty());
}

// The desktop as main() wires it: /metrics keeps counting across a settings restart (a new Engine), instead of
// watching the stopped one.
void TstMainWindow::metricsFollowSettingsRestart()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-metrics-XXXXXX"));
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = QStringLiteral("gui_metrics/#");
    setup.clientId = QStringLiteral("gui_metrics");
    setup.prometheusPort = freePort();
    const auto port = static_cast<quint16>(setup.prometheusPort);
    const QString spool = spoolToml(dir.filePath(QStringLiteral("spool")));
    Engine engine(load(subscriberConfig(srv, setup) + spool));
    Observability observability(engine);
    QVERIFY(observability.start());
    Desktop desktop(engine, &observability);
    QSignalSpy finished(&desktop.host(), &EngineHost::finished);
    desktop.start();
    QTRY_VERIFY_WITH_TIMEOUT(desktop.window().health()->mqttText().startsWith(QStringLiteral("Connected")), 15000);

    auto run = publish(srv, srv.mqttPort, "gui_metrics", 200, 1);
    QTRY_VERIFY_WITH_TIMEOUT(run.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(run.get().allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_rows_written_total"), 200.0, 10000);

    const double transactionsBefore = scrapeMetric(port, "iot_subscriber_batch_rows_count");
    QVERIFY(transactionsBefore >= 1);
    QSignalSpy restarted(&desktop.host(), &EngineHost::restarted);
    setup.batchSize = 25;
    desktop.host().restart(load(subscriberConfig(srv, setup) + spool));
    QVERIFY(restarted.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(desktop.window().health()->mqttText().startsWith(QStringLiteral("Connected")), 15000);
    auto more = publish(srv, srv.mqttPort, "gui_metrics", 100, 1001);
    QTRY_VERIFY_WITH_TIMEOUT(more.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 20000);
    QVERIFY(more.get().allDelivered());
    // Counted by the new engine, reported on top of the first one's; its transactions reach the histogram, which
    // only an observer added to the new engine can feed.
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_rows_written_total"), 300.0, 10000);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_messages_received_total"), 300.0);
    QVERIFY2(scrapeMetric(port, "iot_subscriber_batch_rows_count") > transactionsBefore,
             qPrintable(QString::number(scrapeMetric(port, "iot_subscriber_batch_rows_count"))));
    QCOMPARE(httpGet(port, "/readyz").status, 200);

    desktop.quit();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 30000);
    QCOMPARE(finished.first().first().toULongLong(), 0ULL);
}

void TstMainWindow::closeAndGeometry()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-close-XXXXXX"));
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = QStringLiteral("gui_close/#");
    setup.clientId = QStringLiteral("gui_close");
    Harness h(load(subscriberConfig(srv, setup) + spoolToml(dir.filePath(QStringLiteral("spool")))));
    h.window->resize(900, 640);
    h.window->tabs()->setCurrentIndex(3);
    QSignalSpy closeRequested(h.window.get(), &MainWindow::closeRequested);

    // "Keep running": the window goes away (to the tray, or minimised without one), ingestion goes on.
    SettingsDialog::setCloseAction(QStringLiteral("tray"));
    h.window->close();
    QCOMPARE(closeRequested.count(), 0);
    QVERIFY(h.host->isRunning());
    // "Quit": asks the desktop to stop gracefully.
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
    h.window->showNormal();
    h.window->close();
    QCOMPARE(closeRequested.count(), 1);

    // Geometry and the tab come back in the next window.
    MainWindow second(*h.host);
    QCOMPARE(second.size(), QSize(900, 640));
    QCOMPARE(second.tabs()->currentIndex(), 3);
    // Keyboard: every control has a shortcut.
    QCOMPARE(h.window->pauseAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_P));
    QCOMPARE(h.window->reconnectAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
    QCOMPARE(h.window->settingsAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Comma));
}

QTEST_MAIN(TstMainWindow)
#include "tst_mainwindow.moc"
