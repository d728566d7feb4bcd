// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"
#include "statustext.h"

#include <QObject>

class QAction;
class QMenu;
class QSystemTrayIcon;

namespace iot {

/// The system-tray icon, when the desktop has a tray: shows the overall state (icon + tooltip words), reopens
/// the window on a click, and offers pause and quit. Lives on the GUI thread; does nothing without a tray.
class TrayIcon final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayIcon)
public:
    TrayIcon(QAction *pause, QAction *quit, QObject *parent = nullptr);
    ~TrayIcon() override;

    bool isAvailable() const { return m_tray != nullptr; }
    /// The worst state of what the window watches (the local engine and the remote instances, MainWindow combines
    /// them), with the words of its tooltip.
    void setState(StatusLevel level, const QString &words);
    /// What the icon shows (also without a tray, for tests): the state, or a warning over it for firing alerts.
    StatusLevel shownLevel() const { return m_shown; }
    QString toolTip() const { return m_toolTip; }
    /// A balloon once per run, when the window first goes to the tray.
    void notifyHidden();
    /// A desktop notification for an alert that fired (the tray's balloon; announced by alertNotified() as well,
    /// so the path is visible without a tray).
    void notifyAlert(const iot::AlertEvent &event);
    /// Firing alerts turn the icon to a warning and name them in the tooltip, over the pipeline's own state.
    void setFiringAlerts(int firing);

Q_SIGNALS:
    void showRequested();
    void alertNotified(const QString &title, const QString &message);

private:
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_menu = nullptr;
    StatusLevel m_level = StatusLevel::Off;
    StatusLevel m_shown = StatusLevel::Off;
    bool m_levelSet = false;
    bool m_notified = false;
    int m_firing = 0;
    QString m_words;
    QString m_toolTip;
    void apply();
};

} // namespace iot
