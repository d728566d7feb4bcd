// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QMainWindow>

#include <optional>
#include <QTimer>
#include <QUrl>

#include <memory>

class QAction;
class QLabel;
class QStackedWidget;
class QTabWidget;

namespace iot {

class AlertsPanel;
class ChartPanel;
class CountersPanel;
class EngineHost;
class EventTimeline;
class HistoryPanel;
class HealthBar;
class InstancesPanel;
class LoopLatency;
class ProblemsPanel;
class RemoteInstance;
class TokenStore;
class TopicPanel;
class TopicStats;
class TrayIcon;

/// The monitor window: pipeline health always on top; Overview (counters, charts), Topics, Problems and Events
/// tabs; pause / reconnect / settings controls, tray and close behaviour; the Instances tab (the fleet view: this
/// computer and the remote instances it watches). Everything is refreshed from engine snapshots at most 10 times a
/// second, never per message. Without an EngineHost it is a monitor only (--monitor-only): the engine's tabs and
/// controls are disabled with the reason, the Instances tab is all there is. The operator can turn the local engine
/// off (and on) from the running window: while off the window is a monitor only the same way (setLocalMode()), and
/// remote instances keep being watched. Lives on the GUI thread.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(EngineHost &host, QWidget *parent = nullptr);
    /// `host` null: a monitor only, no local engine.
    explicit MainWindow(EngineHost *host, QWidget *parent = nullptr);
    ~MainWindow() override;

    bool isMonitorOnly() const { return m_host == nullptr; }
    /// What the window shows of this computer: its engine, no engine at all (--monitor-only), or an engine the
    /// operator turned off (it may be turned on again).
    enum class LocalMode { Engine, MonitorOnly, EngineOff };
    Q_ENUM(LocalMode)
    LocalMode localMode() const { return m_mode; }
    /// Watches one more remote instance: its URL and name are remembered (QSettings), its token goes to the token
    /// store, never to QSettings. Returns the instance (owned by the Instances panel).
    RemoteInstance *addRemoteInstance(const QUrl &url, const QString &name, const QByteArray &token);
    /// Stops watching `remote` and forgets it (and its token).
    void removeRemoteInstance(RemoteInstance *remote);
    /// Asks for a URL (+ name, token) and adds it; the dialog refuses a bad URL in words.
    void addInstanceInteractively();
    /// Changes what the window knows of `remote` without removing it: its name, and its token when `token` is given
    /// (kept in the token store, sent from the next poll on). A new URL is another instance: `remote` is replaced by
    /// one watching `url` (with the new token, or the old one). Returns the instance watched now.
    RemoteInstance *editRemoteInstance(RemoteInstance *remote, const QUrl &url, const QString &name,
                                       const std::optional<QByteArray> &token);
    /// The Edit instance dialog for `remote`, prefilled (the token field says "unchanged"); returns it (open).
    class AddInstanceDialog *editInstanceInteractively(RemoteInstance *remote);

    /// The engine is stopping for good: the window may close now, and says what it is waiting for.
    void showStopping();
    /// Opens the settings dialog (non-modal in tests: returns it).
    class SettingsDialog *openSettings();

    // The parts, for tests and the screenshot script.
    HealthBar *health() const { return m_health; }
    CountersPanel *counters() const { return m_counters; }
    ChartPanel *charts() const { return m_charts; }
    TopicPanel *topics() const { return m_topics; }
    ProblemsPanel *problems() const { return m_problems; }
    EventTimeline *events() const { return m_events; }
    HistoryPanel *history() const { return m_history; }
    AlertsPanel *alerts() const { return m_alerts; }
    InstancesPanel *instances() const { return m_instances; }
    QStackedWidget *instanceDetails() const { return m_details; }
    TokenStore *tokens() const { return m_tokens; }
    QLabel *tokenStoreLabel() const { return m_tokenStoreLabel; }
    QAction *addInstanceAction() const { return m_addInstance; }
    QAction *removeInstanceAction() const { return m_removeInstance; }
    QAction *editInstanceAction() const { return m_editInstance; }
    TrayIcon *tray() const { return m_tray; }
    QTabWidget *tabs() const { return m_tabs; }
    QAction *pauseAction() const { return m_pause; }
    QAction *reconnectAction() const { return m_reconnect; }
    QAction *settingsAction() const { return m_settings; }
    /// "Turn local engine off" / "on" (hidden in a monitor only). Turning off asks first: the dialog is a
    /// QMessageBox named "turnOffConfirm", opened window-modal (not exec'd), so tests can answer it.
    QAction *engineToggleAction() const { return m_engineToggle; }
    int renders() const { return m_renders; }

    static constexpr int MinRenderIntervalMs = 100;   // at most 10 refreshes a second

Q_SIGNALS:
    void closeRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    // ---- The per-instance detail view: the one place that makes it (the remote views' widget goes here). ----
    void showInstanceDetails(RemoteInstance *instance);
    void forgetInstanceDetails(RemoteInstance *instance);

    void createPanels();      // health bar, tabs and their panels
    QWidget *createInstancesTab();
    /// The one switch between "engine" and "monitor only" (no engine, or the engine turned off): the tabs and
    /// controls that need a local engine, the health bar, the status line and this computer's row.
    void setLocalMode(LocalMode mode);
    void toggleEngine();      // the engine toggle: asks, then turns off; or turns on
    void onEngineState();     // the host's state moved (turning off, off, on)
    void saveInstances();
    void restoreInstances();
    void renderFleet();       // this computer's row and the tray (the worst state of all)
    void createStatusBar();
    void connectEngine();     // the host's states, events and errors into the panels and the timeline
    void connectPanels();     // tab titles that follow the panels (unseen problems, topic summary)
    void createActions();
    void createMenus();
    void onSnapshot(const EngineSnapshot &s);
    void render();
    void renderTitles(const EngineSnapshot &s);
    void addStateEvent(bool mqtt);
    void setPaused(bool paused);
    void saveLayout();
    void restoreLayout();
    void hideToTray();
    qint64 graceUs() const;

    EngineHost *m_host = nullptr;                 // null: monitor only
    std::unique_ptr<TopicStats> m_noTopics;       // monitor only: the (empty) statistics the Topics tab shows
    InstancesPanel *m_instances = nullptr;
    QStackedWidget *m_details = nullptr;
    QLabel *m_noDetails = nullptr;
    QLabel *m_tokenStoreLabel = nullptr;
    TokenStore *m_tokens = nullptr;
    QAction *m_addInstance = nullptr;
    QAction *m_removeInstance = nullptr;
    QAction *m_editInstance = nullptr;
    QString m_localWords;
    HealthBar *m_health = nullptr;
    CountersPanel *m_counters = nullptr;
    ChartPanel *m_charts = nullptr;
    TopicPanel *m_topics = nullptr;
    ProblemsPanel *m_problems = nullptr;
    EventTimeline *m_events = nullptr;
    HistoryPanel *m_history = nullptr;
    AlertsPanel *m_alerts = nullptr;
    QTabWidget *m_tabs = nullptr;
    TrayIcon *m_tray = nullptr;
    LoopLatency *m_loop = nullptr;
    QLabel *m_statusRefresh = nullptr;
    QLabel *m_statusConfig = nullptr;
    QAction *m_pause = nullptr;
    QAction *m_reconnect = nullptr;
    QAction *m_settings = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_engineToggle = nullptr;
    LocalMode m_mode = LocalMode::Engine;
    QTimer m_renderTimer;    // runs a pending render once the 100 ms since the last have passed
    QTimer m_idleTimer;      // renders once a second when no snapshots arrive (engine stopped)
    EngineSnapshot m_latest;
    qint64 m_lastRenderMs = 0;
    qint64 m_lastSnapshotMs = 0;
    int m_renders = 0;
    bool m_allowClose = false;
    bool m_wasReadingPaused = false;
    SpoolState m_wasSpoolState = SpoolState::Ok;
};

} // namespace iot
