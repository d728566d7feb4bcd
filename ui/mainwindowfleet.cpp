// SPDX-License-Identifier: MIT
// MainWindow's fleet half: the Instances tab (remote instances added, edited, removed, remembered; the site summary
// and the tray's worst state) and the local engine turned off and on (the window as a monitor only).
#include "mainwindow.h"
#include "mainwindow_p.h"

#include "addinstancedialog.h"
#include "chartpanel.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "instancespanel.h"
#include "instanceview.h"
#include "logging/log.h"
#include "plaintext.h"
#include "remoteinstance.h"
#include "statustext.h"
#include "tokenstore.h"
#include "trayicon.h"
#include "util/timeformat.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
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

using namespace mainwindow;

QWidget *MainWindow::createInstancesTab()
{
    m_tokens = new TokenStore(this);
    m_instances = new InstancesPanel(this);
    m_instances->setObjectName(QStringLiteral("instancesPanel"));

    m_addInstance = new QAction(tr("&Add instance…"), this);
    m_addInstance->setObjectName(QStringLiteral("addInstanceAction"));
    m_addInstance->setToolTip(tr("Watch a headless instance by its observability address (+ token); read only"));
    connect(m_addInstance, &QAction::triggered, this, &MainWindow::addInstanceInteractively);
    m_removeInstance = new QAction(tr("&Remove instance"), this);
    m_removeInstance->setObjectName(QStringLiteral("removeInstanceAction"));
    m_removeInstance->setToolTip(tr("Stop watching the selected instance and forget it (and its token)"));
    m_removeInstance->setEnabled(false);
    connect(m_removeInstance, &QAction::triggered, this, [this] {
        const QList<QTableWidgetItem *> selected = m_instances->table()->selectedItems();
        if (!selected.isEmpty())
            removeRemoteInstance(m_instances->instanceAt(selected.constFirst()->row()));
    });

    m_editInstance = new QAction(tr("&Edit instance…"), this);
    m_editInstance->setObjectName(QStringLiteral("editInstanceAction"));
    m_editInstance->setToolTip(tr("Change the selected instance's name, token or address (double-click a row "
                                  "does the same)"));
    m_editInstance->setEnabled(false);
    connect(m_editInstance, &QAction::triggered, this, [this] {
        const QList<QTableWidgetItem *> selected = m_instances->table()->selectedItems();
        if (!selected.isEmpty())
            editInstanceInteractively(m_instances->instanceAt(selected.constFirst()->row()));
    });

    auto *buttons = new QToolBar(this);
    buttons->setToolButtonStyle(Qt::ToolButtonTextOnly);
    buttons->addAction(m_addInstance);
    buttons->addAction(m_editInstance);
    buttons->addAction(m_removeInstance);
    m_tokenStoreLabel = PlainText::label(new QLabel(this));
    m_tokenStoreLabel->setObjectName(QStringLiteral("tokenStoreLabel"));
    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    // The buttons keep their width (a long token-store line would push Remove into the toolbar's overflow menu);
    // the line wraps instead.
    buttons->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    m_tokenStoreLabel->setWordWrap(true);
    m_tokenStoreLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto *bar = new QHBoxLayout;
    bar->addWidget(buttons);
    bar->addWidget(m_tokenStoreLabel, 1);
    topLayout->addLayout(bar);
    topLayout->addWidget(m_instances, 1);

    m_details = new QStackedWidget(this);
    m_details->setObjectName(QStringLiteral("instanceDetails"));
    m_noDetails = new QLabel(tr("Select an instance above to see its details."), m_details);
    m_noDetails->setAlignment(Qt::AlignCenter);
    m_noDetails->setWordWrap(true);
    m_details->addWidget(m_noDetails);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("instancesSplitter"));
    split->addWidget(top);
    split->addWidget(m_details);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({260, 480});

    connect(m_instances, &InstancesPanel::instanceDoubleClicked, this, &MainWindow::editInstanceInteractively);
    connect(m_instances, &InstancesPanel::instanceActivated, this, [this](RemoteInstance *remote) {
        m_removeInstance->setEnabled(true);
        m_editInstance->setEnabled(true);
        showInstanceDetails(remote);
        QSettings().setValue(SelectedInstanceKey, remote->url().toString());
    });
    connect(m_instances, &InstancesPanel::localActivated, this, [this] {
        m_removeInstance->setEnabled(false);
        m_editInstance->setEnabled(false);
        m_noDetails->setText(m_mode == LocalMode::EngineOff
                                 ? tr("This computer: its engine is turned off (Ingestion → Turn local engine on).")
                                 : tr("This computer: its engine's figures are in the Overview, Topics, Problems and "
                                      "Events tabs."));
        m_details->setCurrentWidget(m_noDetails);
    });
    connect(m_instances, &InstancesPanel::instanceRemoved, this, &MainWindow::forgetInstanceDetails);
    connect(m_instances, &InstancesPanel::changed, this, &MainWindow::renderFleet);
    return split;
}

// ---- The per-instance detail view --------------------------------------------------------------------------------
// One InstanceView (ui/instanceview.*: the instance's read-only Overview, Topics, Problems and Events from its status
// API) per remote instance in m_details, made at its first selection — so an instance nobody looks at costs only the
// site summary's status polls — and deleted when it is removed.
void MainWindow::showInstanceDetails(RemoteInstance *instance)
{
    if (!instance)
        return;
    for (int i = 0; i < m_details->count(); ++i) {
        if (m_details->widget(i)->property("instance").value<void *>() == instance) {
            m_details->setCurrentIndex(i);
            return;
        }
    }
    auto *view = new InstanceView(*instance, m_details);
    view->setProperty("instance", QVariant::fromValue<void *>(instance));
    m_details->addWidget(view);
    m_details->setCurrentWidget(view);
}

void MainWindow::forgetInstanceDetails(RemoteInstance *instance)
{
    for (int i = m_details->count() - 1; i >= 0; --i) {
        QWidget *w = m_details->widget(i);
        if (w->property("instance").value<void *>() == instance) {
            m_details->removeWidget(w);
            delete w;
        }
    }
    m_noDetails->setText(tr("Select an instance above to see its details."));
    m_details->setCurrentWidget(m_noDetails);
    m_removeInstance->setEnabled(false);
    m_editInstance->setEnabled(false);
}

// ---- Engine or monitor only --------------------------------------------------------------------------------------
// --monitor-only and an engine the operator turned off look the same in the window: the engine's tabs and controls
// disabled with the reason in their tooltip, the Instances tab in front. Only the engine toggle differs (hidden
// without an engine), the health bar (hidden without an engine; grey "off" words while off) and this computer's row
// (absent; "off" and no problem while off, so the tray shows the remote instances' state).
void MainWindow::setLocalMode(LocalMode mode)
{
    m_mode = mode;
    const bool engine = mode == LocalMode::Engine;
    const QString reason = mode == LocalMode::MonitorOnly
        ? tr("No local engine: this window is a monitor only (--monitor-only). Watch instances in the Instances tab.")
        : mode == LocalMode::EngineOff
        ? tr("The local engine is off (turned off in this window): nothing is ingested on this computer. Turn it on "
             "with Ingestion → Turn local engine on; remote instances are in the Instances tab.")
        : QString();
    for (int i = OverviewTab; i <= AlertsTab; ++i) {
        m_tabs->setTabEnabled(i, engine);
        m_tabs->setTabToolTip(i, reason);
    }
    for (QAction *a : {m_pause, m_reconnect, m_settings, m_charts->freezeAction()}) {
        if (!a->property("engineToolTip").isValid())
            a->setProperty("engineToolTip", a->toolTip());
        a->setEnabled(engine);
        a->setToolTip(engine ? a->property("engineToolTip").toString() : reason);
    }
    m_health->setVisible(mode != LocalMode::MonitorOnly);   // it is the local pipeline's
    m_engineToggle->setVisible(mode != LocalMode::MonitorOnly);
    m_engineToggle->setEnabled(true);
    m_engineToggle->setText(mode == LocalMode::EngineOff ? tr("Turn local engine &on") : tr("Turn local engine &off…"));
    m_engineToggle->setToolTip(mode == LocalMode::EngineOff
                                   ? tr("Start ingesting on this computer again with the current settings; the "
                                        "counters go on from their totals (Ctrl+Shift+E)")
                                   : tr("Stop ingesting on this computer without quitting (everything buffered is "
                                        "committed first); the window keeps watching the remote instances "
                                        "(Ctrl+Shift+E)"));
    m_instances->setLocalOff(mode == LocalMode::EngineOff);
    if (!engine && m_tabs->currentIndex() != InstancesTab)
        m_tabs->setCurrentIndex(InstancesTab);
    if (mode == LocalMode::MonitorOnly)
        m_statusConfig->setText(tr("Monitor only: no local engine"));
}

void MainWindow::toggleEngine()
{
    if (!m_host)
        return;
    if (m_host->isOff()) {
        m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), StatusLevel::Busy,
                           tr("Local engine turned on: connecting with the current settings"));
        if (const Status st = m_host->turnOn(); !st) {
            m_events->addEvent(TimeFormat::nowUs(), tr("Engine"), StatusLevel::Error,
                               tr("Could not start (%1); the local engine stays off").arg(st.error().message));
            statusBar()->showMessage(tr("The local engine could not start: %1").arg(st.error().message), 15000);
        }
        return;
    }
    if (m_host->isRestarting()) {
        statusBar()->showMessage(tr("Applying new settings: turn the engine off once ingestion has restarted"), 8000);
        return;
    }
    if (m_host->state() != EngineHost::State::On || findChild<QMessageBox *>(QStringLiteral("turnOffConfirm")))
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Turn the local engine off"),
                                tr("Stop ingesting on this computer?"), QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("turnOffConfirm"));
    box->setInformativeText(tr("Ingestion on this computer stops: everything buffered is committed first (what the "
                               "database does not take stays in the spool), then the MQTT connection closes and new "
                               "messages are not read here. The window stays open and keeps watching the remote "
                               "instances. Turn the engine on again from the Ingestion menu."));
    QPushButton *off = box->addButton(tr("&Turn off"), QMessageBox::DestructiveRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, box, off](QAbstractButton *clicked) {
        box->setObjectName(QString());   // closing: the next toggle may ask again
        if (clicked != off || !m_host || m_host->state() != EngineHost::State::On || m_host->isRestarting())
            return;
        m_events->addEvent(TimeFormat::nowUs(), tr("Operator"), StatusLevel::Off,
                           tr("Local engine turned off: committing what is buffered, then disconnecting"));
        m_host->turnOff();
    });
    box->open();
}

void MainWindow::onEngineState()
{
    switch (m_host->state()) {
    case EngineHost::State::TurningOff:
        m_engineToggle->setEnabled(false);
        m_engineToggle->setText(tr("Turning local engine off…"));
        statusBar()->showMessage(tr("Turning the local engine off: committing buffered messages…"));
        break;
    case EngineHost::State::Off: setLocalMode(LocalMode::EngineOff); break;
    case EngineHost::State::On:
        setLocalMode(LocalMode::Engine);
        statusBar()->showMessage(tr("Local engine on: ingesting again"), 8000);
        break;
    }
    m_latest = m_host->snapshot();
    render();
}

RemoteInstance *MainWindow::addRemoteInstance(const QUrl &url, const QString &name, const QByteArray &token)
{
    if (!m_tokens->write(url.toString(), token))
        statusBar()->showMessage(tr("The token for %1 could not be kept: %2 (it is used until the window closes)")
                                     .arg(url.toDisplayString(), m_tokens->errorString()),
                                 15000);
    RemoteInstance *remote = m_instances->addInstance(url, token, name);
    m_tokenStoreLabel->setText(m_tokens->description());
    saveInstances();
    return remote;
}

void MainWindow::removeRemoteInstance(RemoteInstance *remote)
{
    if (!remote)
        return;
    const QString key = remote->url().toString();
    m_instances->removeInstance(remote);
    // The same URL may be watched twice (say, with two tokens): its token stays while one of them is left.
    bool stillWatched = false;
    for (int i = 0; i < m_instances->instanceCount(); ++i)
        stillWatched = stillWatched || m_instances->instance(i)->url().toString() == key;
    if (!stillWatched)
        m_tokens->remove(key);
    saveInstances();
}

void MainWindow::addInstanceInteractively()
{
    auto *dialog = new AddInstanceDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        addRemoteInstance(dialog->url(), dialog->name(), dialog->token());
        m_tabs->setCurrentIndex(InstancesTab);
    });
    dialog->open();
}

RemoteInstance *MainWindow::editRemoteInstance(RemoteInstance *remote, const QUrl &url, const QString &name,
                                              const std::optional<QByteArray> &token)
{
    if (!remote)
        return nullptr;
    if (url != remote->url()) {
        // Another address is another instance (its ids, versions and history are not this one's): replace it.
        const QByteArray keep = token.value_or(remote->token());
        removeRemoteInstance(remote);
        RemoteInstance *replaced = addRemoteInstance(url, name, keep);
        m_instances->selectInstance(replaced);
        return replaced;
    }
    if (token) {
        if (!m_tokens->write(url.toString(), *token))
            statusBar()->showMessage(tr("The token for %1 could not be kept: %2 (it is used until the window closes)")
                                         .arg(url.toDisplayString(), m_tokens->errorString()),
                                     15000);
        // The same URL watched twice shares its kept token: both send the new one (as a restart would).
        for (int i = 0; i < m_instances->instanceCount(); ++i)
            if (m_instances->instance(i)->url() == url)
                m_instances->instance(i)->setToken(*token);
        m_tokenStoreLabel->setText(m_tokens->description());
    }
    m_instances->renameInstance(remote, name);
    saveInstances();
    return remote;
}

AddInstanceDialog *MainWindow::editInstanceInteractively(RemoteInstance *remote)
{
    if (!remote)
        return nullptr;
    auto *dialog = new AddInstanceDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setEditing(remote->url(), remote->name(), !remote->token().isEmpty());
    // The instance may be removed while the dialog is open: look it up again when it is accepted.
    connect(dialog, &QDialog::accepted, this, [this, dialog, remote] {
        for (int i = 0; i < m_instances->instanceCount(); ++i) {
            if (m_instances->instance(i) == remote) {
                editRemoteInstance(remote, dialog->url(), dialog->name(),
                                   dialog->tokenTyped() ? std::optional<QByteArray>(dialog->token()) : std::nullopt);
                return;
            }
        }
    });
    dialog->open();
    return dialog;
}

void MainWindow::saveInstances()
{
    // URLs and names only: tokens live in the token store.
    QSettings settings;
    settings.beginWriteArray(InstancesKey, m_instances->instanceCount());
    for (int i = 0; i < m_instances->instanceCount(); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("url"), m_instances->instance(i)->url().toString());
        settings.setValue(QStringLiteral("name"), m_instances->instance(i)->name());
    }
    settings.endArray();
}

void MainWindow::restoreInstances()
{
    QSettings settings;
    const int n = settings.beginReadArray(InstancesKey);
    std::vector<std::pair<QUrl, QString>> remembered;
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        const QUrl url = AddInstanceDialog::parseUrl(settings.value(QStringLiteral("url")).toString(), nullptr);
        if (url.isValid())
            remembered.emplace_back(url, settings.value(QStringLiteral("name")).toString());
    }
    settings.endArray();
    const QString selected = settings.value(SelectedInstanceKey).toString();
    RemoteInstance *reselect = nullptr;
    for (const auto &[url, name] : remembered) {
        RemoteInstance *remote = m_instances->addInstance(url, m_tokens->read(url.toString()), name);
        if (url.toString() == selected)
            reselect = remote;
    }
    m_tokenStoreLabel->setText(m_tokens->description());
    // The instance looked at last time is shown again (its view is made now, so its data starts coming at once).
    if (reselect)
        m_instances->selectInstance(reselect);
}

void MainWindow::renderFleet()
{
    const StatusLevel worst = m_instances->worstLevel();
    int ok = 0;
    for (int i = 0; i < m_instances->instanceCount(); ++i)
        ok += m_instances->instance(i)->health() == RemoteInstance::Health::Ok;
    const int n = m_instances->instanceCount();
    const QString fleet = n ? tr("%1 of %2 instance(s) ok").arg(ok).arg(n) : QString();
    if (!m_host) {
        setWindowTitle(n ? tr("IoT Subscriber — monitor only · %1").arg(fleet) : tr("IoT Subscriber — monitor only"));
        m_tray->setState(worst, n ? fleet : tr("monitor only, no instances"));
        return;
    }
    if (m_host->isOff()) {
        // The operator's choice is no problem: the tray shows the remote instances (grey with none).
        const QString words = n ? tr("local engine off · %1").arg(fleet) : tr("local engine off");
        setWindowTitle(tr("IoT Subscriber — %1").arg(words));
        m_tray->setState(n ? worst : StatusLevel::Off, words);
        return;
    }
    m_tray->setState(worst, fleet.isEmpty() ? m_localWords : m_localWords + QStringLiteral(" · ") + fleet);
}
} // namespace iot
