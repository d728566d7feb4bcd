// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "engine.h"

#include <QCloseEvent>
#include <QFormLayout>
#include <QLabel>
#include <QStatusBar>

namespace iot {

MainWindow::MainWindow(Engine &engine, QWidget *parent) : QMainWindow(parent), m_engine(engine)
{
    setWindowTitle(QStringLiteral("IoT Subscriber"));
    auto *central = new QWidget(this);
    auto *form = new QFormLayout(central);
    m_mqtt = new QLabel(central);
    m_db = new QLabel(central);
    m_counters = new QLabel(central);
    m_balance = new QLabel(central);
    for (QLabel *l : {m_mqtt, m_db, m_counters, m_balance})
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("MQTT:"), m_mqtt);
    form->addRow(tr("Database:"), m_db);
    form->addRow(tr("Throughput:"), m_counters);
    form->addRow(tr("Balance:"), m_balance);
    setCentralWidget(central);
    resize(720, 200);
    connect(&m_engine, &Engine::snapshotUpdated, this, &MainWindow::render);
    render(m_engine.snapshot());
}

void MainWindow::render(const EngineSnapshot &s)
{
    m_mqtt->setText(MessageSource::stateName(s.mqttState) + QStringLiteral(" — ") + s.mqttDetail);
    m_db->setText(BatchWriter::stateName(s.dbState) + QStringLiteral(" — ") + s.dbDetail);
    m_counters->setText(tr("%1 msgs/s received, %2 rows/s written, %3 in flight%4")
                            .arg(s.receivedPerSec, 0, 'f', 0)
                            .arg(s.writtenPerSec, 0, 'f', 0)
                            .arg(s.inFlight)
                            .arg(s.readingPaused ? tr(" (reading paused)") : QString()));
    m_balance->setText(s.balanceText());
}

void MainWindow::showStopping()
{
    m_allowClose = true;
    statusBar()->showMessage(tr("Stopping: committing buffered messages…"));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_allowClose) {
        event->accept();
        return;
    }
    // Closing the window stops ingestion gracefully; the window goes away once everything is committed.
    event->ignore();
    Q_EMIT closeRequested();
}

} // namespace iot
