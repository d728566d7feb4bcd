// SPDX-License-Identifier: MIT
#include "prometheusserver.h"

#include "httpclient.h"
#include "testenv.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QThread>
#include <QUrl>

namespace iot::test {

PrometheusServer::PrometheusServer(QString dir) : m_dir(std::move(dir))
{
    QDir().mkpath(m_dir);
}

PrometheusServer::~PrometheusServer()
{
    stop();
}

QString PrometheusServer::binary()
{
    return QStandardPaths::findExecutable(QStringLiteral("prometheus"));
}

bool PrometheusServer::start(quint16 targetPort, QString *error)
{
    return startWithScrapeConfigs("  - job_name: iot-subscriber\n    static_configs:\n      - targets: ['127.0.0.1:"
                                      + QByteArray::number(targetPort) + "']\n",
                                  error);
}

bool PrometheusServer::startWithScrapeConfigs(const QByteArray &scrapeConfigs, QString *error)
{
    const QString config = m_dir + QStringLiteral("/prometheus.yml");
    QFile f(config);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = config + QStringLiteral(": ") + f.errorString();
        return false;
    }
    f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n" + scrapeConfigs);
    f.close();
    m_port = static_cast<quint16>(freePort());
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setStandardOutputFile(m_dir + QStringLiteral("/prometheus.log"));
    m_process.start(binary(), {QStringLiteral("--config.file=") + config,
                               QStringLiteral("--storage.tsdb.path=") + m_dir + QStringLiteral("/data"),
                               QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_port)});
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("prometheus did not start: ") + m_process.errorString();
        return false;
    }
    // Blocking polls are fine here: the server is another process, nothing in this thread must answer it.
    const QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        if (httpGet(m_port, "/-/ready", 2000).status == 200)
            return true;
        if (m_process.state() == QProcess::NotRunning)
            break;
        QThread::msleep(100);
    }
    *error = QStringLiteral("prometheus not ready:\n") + log();
    return false;
}

void PrometheusServer::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString PrometheusServer::queryValue(const QString &expression, QByteArray *raw) const
{
    const HttpResult r = httpGet(m_port, "/api/v1/query?query=" + QUrl::toPercentEncoding(expression), 5000);
    if (raw)
        *raw = r.raw;
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    const QJsonArray result = o.value(QStringLiteral("data")).toObject().value(QStringLiteral("result")).toArray();
    if (r.status != 200 || result.isEmpty())
        return {};
    // A vector sample is [ <unix time>, "<value>" ].
    return result.at(0).toObject().value(QStringLiteral("value")).toArray().at(1).toString();
}

QString PrometheusServer::targetHealth(const QString &job, QString *lastError) const
{
    const HttpResult r = httpGet(m_port, "/api/v1/targets?state=active", 5000);
    const QJsonArray targets = QJsonDocument::fromJson(r.body)
                                   .object()
                                   .value(QStringLiteral("data"))
                                   .toObject()
                                   .value(QStringLiteral("activeTargets"))
                                   .toArray();
    for (const QJsonValue t : targets) {
        const QJsonObject o = t.toObject();
        if (o.value(QStringLiteral("labels")).toObject().value(QStringLiteral("job")).toString() != job)
            continue;
        if (lastError)
            *lastError = o.value(QStringLiteral("lastError")).toString();
        return o.value(QStringLiteral("health")).toString();
    }
    return {};
}

QString PrometheusServer::log() const
{
    QFile f(m_dir + QStringLiteral("/prometheus.log"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll().right(4000)) : QString();
}

} // namespace iot::test
