// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"
#include "statustext.h"

#include <QWidget>

class QLabel;
class QProgressBar;

namespace iot {

/// The always-visible pipeline health at the top of the window: MQTT, database and reading state as icon + words,
/// the buffer (and spool) fill against its limit, uptime and the last commit. Rendered from snapshots. Lives on
/// the GUI thread.
class HealthBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthBar)
public:
    explicit HealthBar(QWidget *parent = nullptr);

    void render(const EngineSnapshot &s, qint64 nowUs, bool running, qint64 launchedAtUs);
    /// The local engine turned off by the operator: a state, not a fault — grey, and words saying how to turn it on.
    void renderOff(const EngineSnapshot &s, qint64 nowUs, qint64 launchedAtUs);

    QString mqttText() const;
    QString databaseText() const;
    QString readingText() const;
    QString bufferText() const;
    StatusLevel mqttLevel() const { return m_mqttLevel; }
    StatusLevel databaseLevel() const { return m_dbLevel; }

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Row
    {
        QLabel *icon = nullptr;
        QLabel *words = nullptr;
        StatusLevel level = StatusLevel::Off;
        bool set = false;
    };
    void setState(Row &row, const StatusView &view, const QString &what);

    Row m_mqtt;
    Row m_db;
    Row m_reading;
    QProgressBar *m_buffer = nullptr;
    QLabel *m_bufferWords = nullptr;
    QLabel *m_spoolWords = nullptr;
    QProgressBar *m_spool = nullptr;
    QLabel *m_uptime = nullptr;
    StatusLevel m_mqttLevel = StatusLevel::Off;
    StatusLevel m_dbLevel = StatusLevel::Off;
};

} // namespace iot
