// SPDX-License-Identifier: MIT
#include "history/historyworker.h"

#include "history/historyrunner.h"

#include <QMetaObject>

namespace iot {

HistoryWorker::HistoryWorker(const Config &config, QObject *parent)
    : QObject(parent), m_runner(std::make_shared<HistoryRunner>(config))
{
    qRegisterMetaType<HistoryResult>();
    m_thread.setObjectName(QStringLiteral("history"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    // Plots are for a person looking at them; ingestion comes first on a small machine.
    m_thread.start(QThread::LowPriority);
}

HistoryWorker::~HistoryWorker()
{
    m_runner->cancel();
    m_thread.quit();
    m_thread.wait();
}

int HistoryWorker::query(const HistoryRequest &request)
{
    const int id = m_nextId++;
    if (m_pending > 0)
        m_runner->cancel();
    ++m_pending;
    std::shared_ptr<HistoryRunner> runner = m_runner;
    QMetaObject::invokeMethod(m_context, [this, runner, request, id] {
        const HistoryResult r = runner->run(request);
        QMetaObject::invokeMethod(this, [this, id, r] {
            --m_pending;
            Q_EMIT finished(id, r);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
    return id;
}

void HistoryWorker::cancel()
{
    m_runner->cancel();
}

} // namespace iot
