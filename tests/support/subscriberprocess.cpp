// SPDX-License-Identifier: MIT
#include "subscriberprocess.h"

#include "testenv.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QThread>

#include <csignal>

namespace iot::test {

SubscriberProcess::SubscriberProcess(QString workDir) : m_dir(std::move(workDir))
{
    QDir().mkpath(m_dir);
}

SubscriberProcess::~SubscriberProcess()
{
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString SubscriberProcess::configPath() const
{
    return m_dir + QStringLiteral("/config.toml");
}

bool SubscriberProcess::start(const QString &configToml, const QStringList &extraArgs)
{
    QFile f(configPath());
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(configToml.toUtf8());
    f.close();
    // A new log per run, so waitForLog() after a restart does not see the previous run's lines.
    m_logPath = m_dir + QStringLiteral("/subscriber-%1.log").arg(++m_runs);
    m_process.setWorkingDirectory(m_dir);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setStandardOutputFile(m_logPath);
    QStringList args = QStringList{QStringLiteral("--config"), configPath()} + extraArgs;
    if (!m_desktop)
        args.prepend(QStringLiteral("--no-gui"));
    QString program = subscriberBinary();
    if (!m_launcher.isEmpty()) {
        args = m_launcher.mid(1) + QStringList{program} + args;
        program = m_launcher.constFirst();
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (m_desktop)
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    for (const QString &var : m_extraEnvironment)
        env.insert(var.section(QLatin1Char('='), 0, 0), var.section(QLatin1Char('='), 1));
    m_process.setProcessEnvironment(env);
    m_process.start(program, args);
    return m_process.waitForStarted(10000);
}

QString SubscriberProcess::log() const
{
    QFile f(m_logPath);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

bool SubscriberProcess::waitForLog(const QString &needle, int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    do {
        if (log().contains(needle))
            return true;
        QThread::msleep(20);
    } while (!deadline.hasExpired());
    return false;
}

bool SubscriberProcess::stopCleanly(int timeoutMs)
{
    terminate();
    return waitForFinished(timeoutMs) && exitStatus() == QProcess::NormalExit && exitCode() == 0;
}

void SubscriberProcess::terminate()
{
    if (isRunning())
        ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
}

void SubscriberProcess::kill()
{
    m_process.kill();
}

bool SubscriberProcess::waitForFinished(int timeoutMs)
{
    return m_process.state() == QProcess::NotRunning || m_process.waitForFinished(timeoutMs);
}

int SubscriberProcess::exitCode() const
{
    return m_process.exitCode();
}

QProcess::ExitStatus SubscriberProcess::exitStatus() const
{
    return m_process.exitStatus();
}

bool SubscriberProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

qint64 SubscriberProcess::residentKiB() const
{
    QFile f(QStringLiteral("/proc/%1/status").arg(m_process.processId()));
    if (!isRunning() || !f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').constFirst().toLongLong();
    }
    return -1;
}

bool FinalBalance::parse(const QString &log, FinalBalance &out)
{
    static const QRegularExpression re(QStringLiteral(
        "stopped: received (\\d+)(?: \\+ replayed (\\d+))? = written (\\d+) \\+ dead-lettered (\\d+) \\+ dropped (\\d+) "
        "\\+ in flight (\\d+)"));
    const auto m = re.match(log);
    if (!m.hasMatch())
        return false;
    out.received = m.captured(1).toLongLong();
    out.replayed = m.captured(2).toLongLong();
    out.written = m.captured(3).toLongLong();
    out.deadLettered = m.captured(4).toLongLong();
    out.dropped = m.captured(5).toLongLong();
    out.inFlight = m.captured(6).toLongLong();
    return true;
}

} // namespace iot::test
