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
    if (!m_tray)
        return;
    if (!m_levelSet || level != m_level) {
        m_tray->setIcon(Icons::state(level));
        m_level = level;
        m_levelSet = true;
    }
    m_tray->setToolTip(tr("IoT Subscriber — %1").arg(words));
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
