// SPDX-License-Identifier: MIT
#include "trayicon.h"

#include "icons.h"

#include <QAction>
#include <QMenu>
#include <QSystemTrayIcon>

namespace iot {

TrayIcon::TrayIcon(QAction *pause, QAction *quit, QObject *parent) : QObject(parent)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_menu = new QMenu;
    QAction *show = m_menu->addAction(tr("&Show window"));
    m_menu->addSeparator();
    m_menu->addAction(pause);
    m_menu->addSeparator();
    m_menu->addAction(quit);
    m_tray = new QSystemTrayIcon(Icons::state(StatusLevel::Busy), this);
    m_tray->setContextMenu(m_menu);
    m_tray->setToolTip(tr("IoT Subscriber"));
    connect(show, &QAction::triggered, this, &TrayIcon::showRequested);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            Q_EMIT showRequested();
    });
    m_tray->show();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;
}

void TrayIcon::setState(StatusLevel level, const QString &words)
{
    m_level = level;
    m_words = words;
    apply();
}

void TrayIcon::setFiringAlerts(int firing)
{
    m_firing = firing;
    apply();
}

void TrayIcon::apply()
{
    // An alert outranks a healthy pipeline; an error, or an instance out of reach, stays what it is.
    const StatusLevel shown = m_firing > 0 && m_level != StatusLevel::Error && m_level != StatusLevel::Off
        ? StatusLevel::Warning
        : m_level;
    const QString alerts = m_firing > 0 ? tr(" · %n alert(s) firing", nullptr, m_firing) : QString();
    m_toolTip = tr("IoT Subscriber — %1").arg(m_words) + alerts;
    const bool changed = !m_levelSet || shown != m_shown;
    m_shown = shown;
    m_levelSet = true;
    if (!m_tray)
        return;
    if (changed)
        m_tray->setIcon(Icons::state(shown));
    m_tray->setToolTip(m_toolTip);
}

void TrayIcon::notifyAlert(const AlertEvent &e)
{
    if (e.kind != AlertEvent::Kind::Fired)
        return;
    const QString title = tr("Alert %1 (%2)").arg(e.ruleName, e.severity);
    QString message = e.summary.isEmpty() ? tr("Value %1").arg(e.value) : e.summary;
    if (!e.topic.isEmpty())
        message += tr(" — topic %1").arg(e.topic);
    Q_EMIT alertNotified(title, message);
    if (m_tray)
        m_tray->showMessage(title, message,
                            e.severity == QLatin1String("critical") ? QSystemTrayIcon::Critical
                                                                     : QSystemTrayIcon::Warning,
                            10000);
}

void TrayIcon::notifyHidden()
{
    if (!m_tray || m_notified)
        return;
    m_notified = true;
    m_tray->showMessage(tr("IoT Subscriber keeps ingesting"),
                        tr("The window is closed; data keeps flowing into the database. Click the tray icon to "
                           "open it again, or choose Quit in its menu."),
                        QSystemTrayIcon::Information, 6000);
}

} // namespace iot
