// SPDX-License-Identifier: MIT
#include "mainwindow.h"
#include "mainwindow_p.h"

#include "plaintext.h"

#include "alerts/alerthistory.h"
#include "alertspanel.h"
#include "chartpanel.h"
#include "counterspanel.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "historypanel.h"
#include "icons.h"
#include "instancespanel.h"
#include "observability/topicstats.h"
#include "remoteinstance.h"
#include "logging/log.h"
#include "looplatency.h"
#include "problemspanel.h"
#include "settingsdialog.h"
#include "statustext.h"
#include "topicpanel.h"
#include "trayicon.h"
#include "util/timeformat.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>

namespace iot {
namespace {

constexpr int StoredAlertEvents = 200;   // events of earlier runs shown in the Alerts tab at start

} // namespace

using namespace mainwindow;

MainWindow::MainWindow(EngineHost &host, QWidget *parent) : MainWindow(&host, parent) {}

MainWindow::MainWindow(EngineHost *host, QWidget *parent) : QMainWindow(parent), m_host(host)
{
    setWindowTitle(tr("IoT Subscriber"));
    setWindowIcon(Icons::app());
    setObjectName(QStringLiteral("mainWindow"));

    createPanels();
    createActions();
    createMenus();
    m_tray = new TrayIcon(m_pause, m_quit, this);
    connect(m_tray, &TrayIcon::showRequested, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    createStatusBar();

    m_renderTimer.setSingleShot(true);
    connect(&m_renderTimer, &QTimer::timeout, this, &MainWindow::render);
    m_idleTimer.setInterval(1000);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        if (nowMs() - m_lastSnapshotMs >= 900) {
            if (m_host)
                m_latest = m_host->snapshot();
            render();
        }
    });
    m_idleTimer.start();

    if (m_host)
        connectEngine();
    else
        setLocalMode(LocalMode::MonitorOnly);
    connectPanels();
    restoreLayout();
    restoreInstances();
    if (m_host)
        m_latest = m_host->snapshot();
    else
        m_tabs->setCurrentWidget(m_tabs->widget(InstancesTab));   // all a monitor only has
    render();
}

void MainWindow::createPanels()
{
    m_health = new HealthBar(this);
    m_counters = new CountersPanel(this);
    m_charts = new ChartPanel(this);
    if (!m_host)
        m_noTopics = std::make_unique<TopicStats>();
    m_topics = new TopicPanel(m_host ? m_host->topicStats() : *m_noTopics, this);
    m_problems = new ProblemsPanel(this);
    m_events = new EventTimeline(this);
    m_history = new HistoryPanel(this);
    if (m_host)
        m_history->setConfig(m_host->config());

    auto *overview = new QSplitter(Qt::Horizontal, this);
    overview->setObjectName(QStringLiteral("overviewSplitter"));
    overview->addWidget(m_counters);
    overview->addWidget(m_charts);
    overview->setStretchFactor(0, 0);
    overview->setStretchFactor(1, 1);
    overview->setSizes({360, 840});
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(overview, tr("&Overview"));
    m_tabs->addTab(m_topics, tr("&Topics"));
    m_tabs->addTab(m_problems, tr("&Problems"));
    m_tabs->addTab(m_events, tr("&Events"));
    m_tabs->addTab(m_history, tr("H&istory"));
    m_alerts = new AlertsPanel(this);
    m_alerts->setRuleCount(m_host ? int(m_host->config().alerts.size()) : 0);
    // The last fires and resolves of earlier runs, from the spool directory (AlertHistory).
    if (m_host)
        m_alerts->addStored(AlertHistory::load(AlertHistory::pathFor(m_host->config()), StoredAlertEvents));
    m_tabs->addTab(m_alerts, tr("&Alerts"));
    m_tabs->addTab(createInstancesTab(), tr("I&nstances"));

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->addWidget(m_health);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
}

void MainWindow::createStatusBar()
{
    m_loop = new LoopLatency(this);
    m_statusRefresh = new QLabel(this);
    m_statusConfig = PlainText::label(new QLabel(this));
    statusBar()->addPermanentWidget(m_statusRefresh);
    statusBar()->addWidget(m_statusConfig, 1);
}

void MainWindow::connectEngine()
{
    EngineHost &host = *m_host;
    connect(&host, &EngineHost::snapshotUpdated, this, &MainWindow::onSnapshot);
    connect(&host, &EngineHost::mqttStateChanged, this, [this](const MessageSource::StateInfo &info) {
        m_latest.mqtt = info;
        addStateEvent(true);
    });
    connect(&host, &EngineHost::databaseStateChanged, this, [this](const BatchWriter::StateInfo &info) {
        m_latest.db = info;
        addStateEvent(false);
    });
    connect(&host, &EngineHost::deadLettered, m_problems, &ProblemsPanel::addDeadLetter);
    connect(&host, &EngineHost::alertChanged, m_alerts, &AlertsPanel::addEvent);
    connect(&host, &EngineHost::alertChanged, m_tray, &TrayIcon::notifyAlert);
    connect(m_alerts, &AlertsPanel::firingCountChanged, m_tray, &TrayIcon::setFiringAlerts);
    connect(m_alerts, &AlertsPanel::firingCountChanged, this, [this](int firing) {
        const QString title = firing ? tr("&Alerts (%1 firing)").arg(firing) : tr("&Alerts");
        m_tabs->setTabText(m_tabs->indexOf(m_alerts), title);
    });
    connect(&host, &EngineHost::restarting, this, [this](quint64 unwritten) {
        m_events->addEvent(TimeFormat::nowUs(), tr("Engine"), unwritten ? StatusLevel::Error : StatusLevel::Busy,
                           unwritten ? tr("Stopped for the new settings; %1 messages could not be committed")
                                           .arg(StatusText::count(unwritten))
                                     : tr("Stopped for the new settings; everything buffered was committed"));
    });
    connect(&host, &EngineHost::restarted, this, [this](const Config &config) {
        m_history->setConfig(config);
        m_alerts->setRuleCount(int(config.alerts.size()));
        m_alerts->reset({});   // the new engine starts its rules afresh
        m_events->addEvent(TimeFormat::nowUs(), tr("Engine"), StatusLevel::Ok,
                           tr("Restarted with the new settings (%1)")
                               .arg(config.sourceFile.isEmpty() ? tr("built-in defaults") : config.sourceFile));
        statusBar()->showMessage(tr("Settings applied; ingestion restarted"), 8000);
    });
    connect(&host, &EngineHost::restartFailed, this, [this](const QString &reason) {
        m_events->addEvent(TimeFormat::nowUs(), tr("Engine"), StatusLevel::Error,
                           tr("The new settings could not start (%1); running with the previous ones").arg(reason));
        // Not modal: nothing waits for the operator, ingestion already runs again.
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Settings not applied"),
                                    tr("Ingestion could not start with the new settings:\n\n%1\n\nIt continues "
                                       "with the previous settings. The file was saved; they take effect at the "
                                       "next start.")
                                        .arg(reason),
                                    QMessageBox::Ok, this);
        box->setTextFormat(Qt::PlainText);  // the reason may be a server's message
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    connect(&host, &EngineHost::stateChanged, this, &MainWindow::onEngineState);
    connect(&host, &EngineHost::turnedOff, this, [this](quint64 unwritten) {
        m_events->addEvent(TimeFormat::nowUs(), tr("Engine"), unwritten ? StatusLevel::Error : StatusLevel::Off,
                           unwritten ? tr("Turned off; %1 messages could not be committed").arg(StatusText::count(unwritten))
                                     : tr("Turned off; everything buffered was committed"));
        statusBar()->showMessage(tr("Local engine off: nothing is ingested on this computer"), 8000);
    });
    connect(&host, &EngineHost::fatalError, this, [this](const QString &message) {
        // The side that gave up: the MQTT source (a TLS file or certificate) or the writer (a schema conflict).
        const bool mqtt = m_host->snapshot().mqtt.state == MessageSource::State::Failed;
        m_events->addEvent(TimeFormat::nowUs(), mqtt ? tr("MQTT") : tr("Database"), StatusLevel::Error,
                           (mqtt ? tr("Stopped reading, retrying cannot help: %1")
                                 : tr("Stopped writing, retrying cannot help: %1"))
                               .arg(message.section(QLatin1Char('\n'), 0, 0)));
        // Not modal and the window stays: an operator must be able to read it; quitting then exits with code 2.
        const QString text = mqtt
            ? tr("The MQTT side stopped and retrying cannot fix it:\n\n%1\n\nFix the configuration (File → "
                 "Settings) or the broker's certificate, then apply or restart.")
            : tr("The database side stopped and retrying cannot fix it:\n\n%1\n\nReceived messages stay in the "
                 "spool. Fix the configuration (File → Settings) or the database, then apply or restart.");
        auto *box = new QMessageBox(QMessageBox::Critical, tr("Ingestion stopped"), text.arg(message),
                                    QMessageBox::Ok, this);
        box->setTextFormat(Qt::PlainText);  // the database's own message
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    connect(&host, &EngineHost::errorOccurred, this, [this](const QString &message) {
        statusBar()->showMessage(message, 10000);
    });
}

void MainWindow::connectPanels()
{
    connect(m_problems, &ProblemsPanel::unseenChanged, this, [this](quint64 unseen) {
        if (unseen > 0 && m_tabs->currentIndex() == ProblemsTab) {
            m_problems->markSeen();   // re-enters with 0
            return;
        }
        m_tabs->setTabText(ProblemsTab, unseen ? tr("&Problems (%1 new)").arg(StatusText::count(unseen))
                                               : tr("&Problems"));
    });
    connect(m_topics, &TopicPanel::historyRequested, this, [this](const QString &filter) {
        m_history->setTopics(filter);
        m_tabs->setCurrentWidget(m_history);
        m_history->plot();
    });
    connect(m_topics, &TopicPanel::summaryChanged, this,
            [this](const QString &summary) { m_tabs->setTabText(TopicsTab, tr("&Topics (%1)").arg(summary)); });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == ProblemsTab)
            m_problems->markSeen();
    });
}

MainWindow::~MainWindow()
{
    // The instance views read their RemoteInstance, which the Instances panel owns: they go first, whatever the
    // order of the children's destruction.
    if (m_details) {
        for (int i = m_details->count() - 1; i >= 0; --i)
            if (QWidget *w = m_details->widget(i); w->property("instance").isValid())
                delete w;
    }
}

void MainWindow::createActions()
{
    m_pause = new QAction(Icons::pause(), tr("&Pause ingestion"), this);
    m_pause->setObjectName(QStringLiteral("pauseAction"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setToolTip(tr("Stop reading from the broker (which holds new messages); nothing buffered is lost "
                           "(Ctrl+P)"));
    connect(m_pause, &QAction::toggled, this, &MainWindow::setPaused);

    m_reconnect = new QAction(Icons::reconnect(), tr("&Reconnect now"), this);
    m_reconnect->setObjectName(QStringLiteral("reconnectAction"));
    m_reconnect->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_reconnect->setToolTip(tr("Drop the MQTT connection attempt or wait and connect at once (Ctrl+R)"));
    connect(m_reconnect, &QAction::triggered, this, [this] {
        if (!m_host)
            return;
        m_host->reconnectMqtt();
        m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), StatusLevel::Busy, tr("Reconnect requested"));
    });

    m_settings = new QAction(Icons::settings(), tr("&Settings…"), this);
    m_settings->setObjectName(QStringLiteral("settingsAction"));
    m_settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settings->setToolTip(tr("Edit config.toml; validated before saving, applied by restarting ingestion (Ctrl+,)"));
    connect(m_settings, &QAction::triggered, this, [this] {
        SettingsDialog *dialog = openSettings();
        dialog->open();
    });

    m_engineToggle = new QAction(Icons::state(StatusLevel::Off), tr("Turn local engine &off…"), this);
    m_engineToggle->setObjectName(QStringLiteral("engineToggleAction"));
    m_engineToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_engineToggle->setToolTip(tr("Stop ingesting on this computer without quitting (everything buffered is committed "
                                  "first); the window keeps watching the remote instances (Ctrl+Shift+E)"));
    m_engineToggle->setVisible(m_host != nullptr);
    connect(m_engineToggle, &QAction::triggered, this, &MainWindow::toggleEngine);

    m_quit = new QAction(tr("&Quit"), this);
    m_quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quit->setToolTip(m_host ? tr("Stop ingesting (committing everything buffered) and quit") : tr("Quit"));
    connect(m_quit, &QAction::triggered, this, &MainWindow::closeRequested);

    auto *bar = addToolBar(tr("Controls"));
    bar->setObjectName(QStringLiteral("controlsToolBar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_pause);
    bar->addAction(m_reconnect);
    bar->addAction(m_engineToggle);
    bar->addSeparator();
    bar->addAction(m_settings);
    bar->addSeparator();
    bar->addAction(m_charts->freezeAction());
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_settings);
    file->addSeparator();
    file->addAction(m_quit);

    QMenu *ingest = menuBar()->addMenu(tr("&Ingestion"));
    ingest->addAction(m_pause);
    ingest->addAction(m_reconnect);
    ingest->addSeparator();
    ingest->addAction(m_engineToggle);

    QMenu *instances = menuBar()->addMenu(tr("I&nstances"));
    instances->addAction(m_addInstance);
    instances->addAction(m_editInstance);
    instances->addAction(m_removeInstance);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    const QStringList names = {tr("Overview"), tr("Topics"), tr("Problems"), tr("Events"), tr("History"),
                               tr("Alerts"), tr("Instances")};
    for (int i = 0; i < names.size(); ++i) {
        QAction *a = view->addAction(names[i]);
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(a, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    QAction *find = view->addAction(tr("&Find topic…"));
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        m_tabs->setCurrentIndex(TopicsTab);
        m_topics->focusFilter();
    });
    view->addAction(m_charts->freezeAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About IoT Subscriber"),
                           tr("<b>IoT Subscriber</b> %1<br>MQTT sensor data into PostgreSQL / SQLite.<br><br>"
                              "The window refreshes from engine snapshots at most 10 times a second; closing it "
                              "can keep ingestion running in the system tray.")
                               .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::setPaused(bool paused)
{
    if (!m_host)
        return;
    m_host->setPaused(paused);
    m_pause->setText(paused ? tr("Resume &ingestion") : tr("&Pause ingestion"));
    m_pause->setIcon(paused ? Icons::resume() : Icons::pause());
    m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), paused ? StatusLevel::Paused : StatusLevel::Ok,
                       paused ? tr("Ingestion paused: the broker holds new messages")
                              : tr("Ingestion resumed"));
}

void MainWindow::onSnapshot(const EngineSnapshot &s)
{
    m_latest = s;
    m_lastSnapshotMs = nowMs();
    if (s.readingPaused != m_wasReadingPaused) {
        m_wasReadingPaused = s.readingPaused;
        m_events->addEvent(s.takenAtUs, tr("Buffer"), s.readingPaused ? StatusLevel::Warning : StatusLevel::Ok,
                           s.readingPaused ? tr("Buffer full (%1 messages): reading paused, the broker holds the rest")
                                                 .arg(StatusText::count(s.inFlight))
                                           : tr("Buffer below its limit again: reading resumed"));
    }
    if (s.spoolState != m_wasSpoolState) {
        m_wasSpoolState = s.spoolState;
        const bool ok = s.spoolState == SpoolState::Ok;
        m_events->addEvent(s.takenAtUs, tr("Spool"), ok ? StatusLevel::Ok : StatusLevel::Warning,
                           ok ? tr("Spool takes messages again")
                              : StatusText::spoolTrouble(s.spoolState) + tr(": new messages held in memory only"));
    }
    m_charts->addSample(s);
    // Snapshots may come faster than the window should repaint: at most one render per 100 ms, the latest wins.
    const qint64 since = m_lastSnapshotMs - m_lastRenderMs;
    if (since >= MinRenderIntervalMs)
        render();
    else if (!m_renderTimer.isActive())
        m_renderTimer.start(int(MinRenderIntervalMs - since));
}

qint64 MainWindow::graceUs() const
{
    const EngineSnapshot &s = m_latest;
    // While the pipeline itself is not flowing, silence says nothing about the sensors.
    if (!m_host->isRunning() || s.mqtt.state != MessageSource::State::Connected
        || s.db.state != BatchWriter::State::Connected || s.operatorPaused || s.readingPaused)
        return qint64(1) << 50;
    return qint64(m_host->config().subscriber.flushIntervalSec * 1e6) + 2000000;
}

void MainWindow::render()
{
    m_renderTimer.stop();
    m_lastRenderMs = nowMs();
    ++m_renders;
    if (!m_host) {
        renderFleet();
        return;
    }
    const qint64 now = TimeFormat::nowUs();
    const EngineSnapshot &s = m_latest;
    const bool running = m_host->isRunning();
    if (m_host->isOff())
        m_health->renderOff(s, now, m_host->launchedAtUs());
    else
        m_health->render(s, now, running, m_host->launchedAtUs());
    m_counters->render(s, m_host->commitLatency().percentiles(now), now);
    m_topics->refresh(now, graceUs());
    m_problems->flush(s.deadLettered);
    renderTitles(s);
}

void MainWindow::renderTitles(const EngineSnapshot &s)
{
    const bool running = m_host->isRunning();
    const StatusLevel level = StatusText::overall(s, running);
    QString words;
    switch (level) {
    case StatusLevel::Ok: words = tr("ingesting"); break;
    case StatusLevel::Error: words = tr("database unavailable"); break;
    case StatusLevel::Warning:
        words = s.spoolEnabled && s.spoolState != SpoolState::Ok ? StatusText::spoolTrouble(s.spoolState)
            : s.readingPaused                                      ? tr("buffer full")
                                                                   : tr("MQTT reconnecting");
        break;
    case StatusLevel::Paused: words = tr("paused"); break;
    case StatusLevel::Busy: words = tr("connecting"); break;
    case StatusLevel::Off: words = m_host->isRestarting() ? tr("restarting") : tr("stopped"); break;
    }
    if (m_host->isOff())
        words = tr("local engine off");
    else if (m_host->state() == EngineHost::State::TurningOff)
        words = tr("turning the local engine off");
    setWindowTitle(tr("IoT Subscriber — %1").arg(words));
    m_localWords = words + QStringLiteral(" · ") + StatusText::rate(s.writtenPerSec)
        + tr(" written · %1 in flight").arg(StatusText::count(s.inFlight));
    m_instances->setLocal(true, s, level, words);
    renderFleet();
    if (m_pause->isChecked() != s.operatorPaused && running && !m_host->isRestarting()) {
        // The engine is the truth (e.g. after a restart).
        QSignalBlocker block(m_pause);
        m_pause->setChecked(m_host->isPaused());
    }
    m_statusRefresh->setText(tr("GUI loop delay ≤ %1 ms (10 s) · refresh ≤ %2/s")
                                 .arg(qRound(m_loop->maxMs()))
                                 .arg(1000 / std::max(MinRenderIntervalMs, EngineHost::SnapshotIntervalMs)));
    const QString source = m_host->config().sourceFile;
    m_statusConfig->setText(tr("Config: %1").arg(source.isEmpty() ? tr("built-in defaults") : source));
}

void MainWindow::addStateEvent(bool mqtt)
{
    const qint64 now = TimeFormat::nowUs();
    const StatusView v = mqtt ? StatusText::mqtt(m_latest, now, true)
                              : StatusText::database(m_latest, now, true);
    m_events->addEvent(now, mqtt ? tr("MQTT") : tr("Database"), v.level, v.words);
}

SettingsDialog *MainWindow::openSettings()
{
    Q_ASSERT(m_host);   // the action is disabled in a monitor only
    auto *dialog = new SettingsDialog(m_host->config(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &SettingsDialog::applyRequested, this, [this](const Config &config) {
        m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), StatusLevel::Busy,
                           tr("New settings saved; restarting ingestion (committing what is buffered first)"));
        statusBar()->showMessage(tr("Restarting: committing buffered messages, then applying the new settings…"));
        m_host->restart(config);
    });
    return dialog;
}

void MainWindow::showStopping()
{
    // For the benchmark and for support: how responsive the window stayed over the whole run.
    log::get("app")->info("GUI event loop: worst delay {:.1f} ms since start (in that interval the GUI thread ran "
                          "{:.1f} ms and waited {:.1f} ms for a CPU); {} of {} checks (every {} ms) later than 50 ms; "
                          "{} refreshes",
                          m_loop->worstMs(), m_loop->worstRanMs(), m_loop->worstWaitedMs(), m_loop->lateTicks(),
                          m_loop->ticks(), LoopLatency::IntervalMs, m_renders);
    m_allowClose = true;
    saveLayout();
    statusBar()->showMessage(tr("Stopping: committing buffered messages…"));
    m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), StatusLevel::Off,
                       tr("Quit: committing what is buffered, then stopping"));
}

void MainWindow::hideToTray()
{
    if (m_tray->isAvailable()) {
        hide();
        m_tray->notifyHidden();
    } else {
        showMinimized();
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_allowClose) {
        event->accept();
        return;
    }
    event->ignore();
    saveLayout();
    if (!m_host || m_host->isOff()) {   // nothing to keep running
        Q_EMIT closeRequested();
        return;
    }
    QString action = SettingsDialog::closeAction();
    if (action != QLatin1String("tray") && action != QLatin1String("quit")) {
        QMessageBox box(this);
        box.setIcon(QMessageBox::Question);
        box.setWindowTitle(tr("Close IoT Subscriber"));
        box.setText(tr("Keep ingesting after the window closes?"));
        box.setInformativeText(tr("Data keeps flowing into the database while the program runs. Quitting stops "
                                  "reading and commits everything buffered first."));
        QPushButton *keep = box.addButton(m_tray->isAvailable() ? tr("&Keep running in the tray")
                                                                : tr("&Minimise and keep running"),
                                          QMessageBox::AcceptRole);
        QPushButton *quit = box.addButton(tr("&Stop and quit"), QMessageBox::DestructiveRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(keep);
        QCheckBox remember(tr("&Do not ask again (change it in Settings)"));
        box.setCheckBox(&remember);
        box.exec();
        if (box.clickedButton() == keep)
            action = QStringLiteral("tray");
        else if (box.clickedButton() == quit)
            action = QStringLiteral("quit");
        else
            return;
        if (remember.isChecked())
            SettingsDialog::setCloseAction(action);
    }
    if (action == QLatin1String("tray"))
        hideToTray();
    else
        Q_EMIT closeRequested();
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue(QStringLiteral("ui/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("ui/state"), saveState());
    settings.setValue(QStringLiteral("ui/tab"), m_tabs->currentIndex());
    settings.setValue(QStringLiteral("ui/chartWindowMinutes"), m_charts->windowMinutes());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("ui/geometry")).toByteArray())) {
        // First start: a comfortable size that fits the screen.
        const QSize avail = screen() ? screen()->availableSize() : QSize(1280, 800);
        resize(std::min(1280, avail.width() * 9 / 10), std::min(820, avail.height() * 9 / 10));
    }
    restoreState(settings.value(QStringLiteral("ui/state")).toByteArray());
    m_tabs->setCurrentIndex(settings.value(QStringLiteral("ui/tab"), 0).toInt());
    m_charts->setWindowMinutes(settings.value(QStringLiteral("ui/chartWindowMinutes"), 5).toInt());
}

} // namespace iot
