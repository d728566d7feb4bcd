// SPDX-License-Identifier: MIT
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace iot::test {

/// The real iot-subscriber binary as a child process, with its config written to a file and its log captured to
/// another, so tests exercise exactly what an operator runs.
class SubscriberProcess final
{
public:
    explicit SubscriberProcess(QString workDir);
    ~SubscriberProcess();
    Q_DISABLE_COPY_MOVE(SubscriberProcess)

    /// The next start() runs the desktop front end (the window on Qt's offscreen platform) instead of --no-gui;
    /// only in a build with the GUI.
    void setDesktop(bool desktop) { m_desktop = desktop; }
    /// Runs the binary through `launcher` from the next start() on: the launcher's program and arguments come first,
    /// then the binary and its arguments. The launcher must exec the binary (so pid() stays the subscriber's), e.g.
    /// {"unshare", "-m", "sh", "-c", "mount ... && exec \"$0\" \"$@\""}.
    void setLauncher(QStringList launcher) { m_launcher = std::move(launcher); }
    /// Variables added to the inherited environment from the next start() on (e.g. LD_PRELOAD).
    void setEnvironment(const QStringList &nameEqualsValue) { m_extraEnvironment = nameEqualsValue; }
    /// Writes `configToml` to <workDir>/config.toml and starts `iot-subscriber --no-gui --config ...`.
    bool start(const QString &configToml, const QStringList &extraArgs = {});
    /// Polls the log until it contains `needle` (true) or the time is up (false).
    bool waitForLog(const QString &needle, int timeoutMs) const;
    QString log() const;
    QString configPath() const;

    /// SIGTERM, then waits: true when the subscriber ended by itself with exit code 0 within `timeoutMs`.
    bool stopCleanly(int timeoutMs = 20000);
    void terminate();   // SIGTERM
    void kill();        // SIGKILL
    bool waitForFinished(int timeoutMs);
    int exitCode() const;
    QProcess::ExitStatus exitStatus() const;
    bool isRunning() const;
    qint64 pid() const { return m_process.processId(); }
    /// Resident memory of the running process in KiB (VmRSS), or -1.
    qint64 residentKiB() const;

private:
    QString m_dir;
    QString m_logPath;
    int m_runs = 0;
    bool m_desktop = false;
    QStringList m_launcher;
    QStringList m_extraEnvironment;
    QProcess m_process;
};

/// Parses the engine's final line "stopped: received N = written W + dead-lettered D + dropped X + in flight F";
/// returns false when the log has no such line.
struct FinalBalance
{
    qint64 received = -1, replayed = 0, written = -1, deadLettered = -1, dropped = -1, inFlight = -1;
    static bool parse(const QString &log, FinalBalance &out);
};

} // namespace iot::test
