// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QMainWindow>

class QLabel;

namespace iot {

class Engine;

/// The monitor window: connection states and the received/written/dead-lettered/dropped balance, refreshed from
/// engine snapshots (never per message). Lives on the GUI thread.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(Engine &engine, QWidget *parent = nullptr);

    void showStopping();

Q_SIGNALS:
    void closeRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void render(const EngineSnapshot &s);

    Engine &m_engine;
    QLabel *m_mqtt = nullptr;
    QLabel *m_db = nullptr;
    QLabel *m_counters = nullptr;
    QLabel *m_balance = nullptr;
    bool m_allowClose = false;
};

} // namespace iot
