// SPDX-License-Identifier: MIT
#pragma once

#include <QProcess>
#include <QString>

namespace iot::test {

/// A real Prometheus server (Debian package `prometheus`) in a scratch directory, scraping one target every
/// second; stopped by the destructor. Tests ask it instant queries over its HTTP API.
class PrometheusServer final
{
public:
    explicit PrometheusServer(QString dir);
    ~PrometheusServer();
    Q_DISABLE_COPY_MOVE(PrometheusServer)

    /// The binary, or empty when the package is not installed.
    static QString binary();
    /// Writes prometheus.yml, starts the server on a free loopback port and waits until it is ready.
    bool start(quint16 targetPort, QString *error);
    /// The same with the `scrape_configs:` entries given as YAML (each starting "  - job_name: ...").
    bool startWithScrapeConfigs(const QByteArray &scrapeConfigs, QString *error);
    /// The target of job `job` from /api/v1/targets: its health ("up", "down", "unknown"; "" when not listed)
    /// and its last scrape error.
    QString targetHealth(const QString &job, QString *lastError = nullptr) const;
    void stop();
    quint16 port() const { return m_port; }
    /// The value of the first sample of an instant query ("" while there is none); `raw` gets the JSON answer.
    QString queryValue(const QString &expression, QByteArray *raw = nullptr) const;
    QString log() const;

private:
    QString m_dir;
    quint16 m_port = 0;
    QProcess m_process;
};

} // namespace iot::test
