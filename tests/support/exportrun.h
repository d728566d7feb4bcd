// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace iot::test {

/// One `iot-subscriber export ...` run of the real binary: its exit code, what it wrote to stdout and stderr, and
/// its peak resident memory (VmHWM, sampled from /proc while it runs; a lower bound close to the true peak).
struct ExportRun
{
    int exitCode = -1;
    bool finished = false;
    QByteArray out;
    QString err;
    qint64 peakKiB = -1;
    qint64 elapsedMs = 0;

    static ExportRun run(const QStringList &arguments, int timeoutMs = 120000);
    QString describe() const;
};

/// A strict RFC 4180 reader for checking exports: CRLF records, quoted fields with doubled quotes, nothing after a
/// closing quote, no bare quote inside an unquoted field. Independent of the writer on purpose.
struct CsvTable
{
    QList<QList<QByteArray>> records;
    QString error;  // empty when the whole text parsed

    static CsvTable parse(const QByteArray &text);
};

} // namespace iot::test
