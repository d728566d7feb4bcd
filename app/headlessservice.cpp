// SPDX-License-Identifier: MIT
#include "headlessservice.h"

#include "engine.h"
#include "logging/log.h"
#include "logging/logging.h"

#include <QCoreApplication>

#include <csignal>

namespace iot {

HeadlessService::HeadlessService(Engine &engine, QObject *parent) : QObject(parent), m_engine(engine)
{
    const double interval = engine.config().subscriber.statsLogIntervalSec;
    m_progressTimer.setInterval(static_cast<int>(interval * 1000.0));
    connect(&m_progressTimer, &QTimer::timeout, this, &HeadlessService::logProgress);
    connect(&m_engine, &Engine::stopped, this, [this](quint64 unwritten) {
        m_progressTimer.stop();
        Q_EMIT finished({RunOutcome::Ending::Stopped, unwritten});
    });
    // Headless, nobody could fix it at run time: say why and end (exit 2; systemd does not restart on it).
    connect(&m_engine, &Engine::fatalError, this, [this](const QString &message) {
        log::get("app")->critical("stopping: {}", message);
        m_progressTimer.stop();
        Q_EMIT finished({RunOutcome::Ending::Fatal, 0});
    });
}

void HeadlessService::start()
{
    const Config &c = m_engine.config();
    QStringList filters;
    for (const TopicFilter &t : c.mqtt.topics)
        filters << t.filter + QStringLiteral(" (QoS ") + QString::number(t.qos) + QLatin1Char(')');
    log::get("app")->info("iot-subscriber {} starting: broker {}:{}, topics {}, database {}", IOT_VERSION, c.mqtt.host,
                          c.mqtt.port, filters.join(QStringLiteral(", ")),
                          c.database.driver == DbDriver::Postgres
                              ? QStringLiteral("PostgreSQL %1:%2/%3").arg(c.database.host).arg(c.database.port).arg(c.database.name)
                              : QStringLiteral("SQLite ") + c.database.path);
    log::get("app")->info("batch_size {}, flush_interval {} s, buffer limit {} messages or {} MiB",
                          c.subscriber.batchSize, c.subscriber.flushIntervalSec, c.subscriber.maxBufferedMessages,
                          c.subscriber.maxBufferedMb);
    if (const Status st = m_engine.start(); !st) {
        log::get("app")->critical("cannot start: {}", st.error().message);
        // Queued: the caller enters the event loop after start() returns.
        // A refusal only the operator can fix (an unsafe spool directory) ends like a bad configuration.
        const auto ending = st.error().fatal ? RunOutcome::Ending::Fatal : RunOutcome::Ending::StartFailed;
        QMetaObject::invokeMethod(this, [this, ending] { Q_EMIT finished({ending, 0}); }, Qt::QueuedConnection);
        return;
    }
    if (c.subscriber.statsLogIntervalSec > 0)
        m_progressTimer.start();
}

void HeadlessService::requestStop(int signal)
{
    if (++m_stopRequests > 1) {
        log::get("app")->error("second stop request: exiting now; {} messages were not committed",
                               m_engine.snapshot().inFlight);
        Logging::flush();
        std::_Exit(1);
    }
    log::get("app")->info("received {}, shutting down (press Ctrl-C again to exit at once)",
                          signal == SIGTERM ? "SIGTERM" : "SIGINT");
    m_engine.stop();
}

void HeadlessService::logProgress()
{
    const EngineSnapshot s = m_engine.snapshot();
    log::get("app")->info("{}", s.progressText(m_lastProgress));
    m_lastProgress = s;
}

} // namespace iot
