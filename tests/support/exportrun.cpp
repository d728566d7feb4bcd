// SPDX-License-Identifier: MIT
#include "exportrun.h"

#include "testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <algorithm>

namespace iot::test {
namespace {

qint64 vmHwmKiB(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

} // namespace

ExportRun ExportRun::run(const QStringList &arguments, int timeoutMs)
{
    ExportRun r;
    QProcess p;
    QElapsedTimer t;
    t.start();
    p.start(subscriberBinary(), QStringList{QStringLiteral("export")} + arguments);
    if (!p.waitForStarted(10000)) {
        r.err = p.errorString();
        return r;
    }
    // Polled rather than waited for: VmHWM is gone with the process, and stdout must be drained as it comes.
    while (!p.waitForFinished(20)) {
        if (p.state() == QProcess::NotRunning)
            break;
        r.peakKiB = std::max(r.peakKiB, vmHwmKiB(p.processId()));
        r.out += p.readAllStandardOutput();
        if (t.elapsed() > timeoutMs) {
            p.kill();
            p.waitForFinished(5000);
            r.err = QStringLiteral("timed out after %1 ms").arg(timeoutMs);
            return r;
        }
    }
    r.elapsedMs = t.elapsed();
    r.out += p.readAllStandardOutput();
    r.err = QString::fromUtf8(p.readAllStandardError());
    r.finished = p.exitStatus() == QProcess::NormalExit;
    r.exitCode = p.exitCode();
    return r;
}

QString ExportRun::describe() const
{
    return QStringLiteral("exit %1 (%2), stderr: %3; stdout %4 bytes: %5")
        .arg(exitCode)
        .arg(finished ? QStringLiteral("finished") : QStringLiteral("crashed or killed"), err)
        .arg(out.size())
        .arg(QString::fromUtf8(out.left(300)));
}

CsvTable CsvTable::parse(const QByteArray &text)
{
    CsvTable t;
    QList<QByteArray> record;
    QByteArray field;
    qsizetype i = 0;
    const qsizetype n = text.size();
    const auto fail = [&t, &i](const char *why) {
        t.error = QStringLiteral("offset %1: %2").arg(i).arg(QLatin1String(why));
        return t;
    };
    while (i < n) {
        field.clear();
        if (text[i] == '"') {
            ++i;
            while (true) {
                if (i >= n)
                    return fail("unterminated quoted field");
                if (text[i] == '"') {
                    if (i + 1 < n && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
        } else {
            while (i < n && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
                if (text[i] == '"')
                    return fail("quote inside an unquoted field");
                field += text[i++];
            }
        }
        record << field;
        if (i < n && text[i] == ',') {
            ++i;
            if (i == n)
                return fail("a comma at the very end");
            continue;
        }
        if (i + 1 < n && text[i] == '\r' && text[i + 1] == '\n') {
            i += 2;
            t.records << record;
            record.clear();
            continue;
        }
        if (i < n)
            return fail("expected a comma or CRLF after a field");
        return fail("the last record has no CRLF");
    }
    return t;
}

} // namespace iot::test
