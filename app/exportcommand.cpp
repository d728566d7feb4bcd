// SPDX-License-Identifier: MIT
#include "exportcommand.h"

#include "config/configloader.h"
#include "exitcode.h"
#include "export/exporter.h"
#include "mapping/valueconverter.h"

#include <QCommandLineParser>
#include <QFile>
#include <QSaveFile>

#include <cstdio>

#include <unistd.h>

namespace iot::ExportCommand {
namespace {

void printTo(std::FILE *f, const QString &text)
{
    const QByteArray b = text.toLocal8Bit();
    std::fwrite(b.constData(), 1, static_cast<std::size_t>(b.size()), f);
    if (!b.endsWith('\n'))
        std::fputc('\n', f);
}

constexpr auto Synopsis =
    "iot-subscriber export --config FILE [--topic FILTER]... [--table NAME] [--field NAME=POINTER]...\n"
    "                      [--from TIME] [--to TIME] [--format csv] [--output FILE]";

} // namespace

Parsed parse(const QStringList &arguments)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Writes stored readings (or a [[mappings]] table) as CSV: RFC 4180, UTF-8, ISO-8601 UTC times, a header.\n"
        "Exit codes: 0 done, 1 the database cannot be read or the output not written, 2 a bad argument or config."));
    const QCommandLineOption config({QStringLiteral("c"), QStringLiteral("config")},
                                    QStringLiteral("Configuration file (TOML) naming the database. Required."),
                                    QStringLiteral("file"));
    const QCommandLineOption topic(QStringLiteral("topic"),
                                   QStringLiteral("MQTT topic filter (+ one level, # the rest); repeat for several."),
                                   QStringLiteral("filter"));
    const QCommandLineOption table(QStringLiteral("table"),
                                   QStringLiteral("A [[mappings]] table to export instead of the raw readings."),
                                   QStringLiteral("name"));
    const QCommandLineOption field(QStringLiteral("field"),
                                   QStringLiteral("A column NAME with the payload's value at a JSON pointer (raw "
                                                  "readings); repeat for several. Without: the whole payload."),
                                   QStringLiteral("name=pointer"));
    const QCommandLineOption from(QStringLiteral("from"),
                                  QStringLiteral("First receive time (inclusive), ISO-8601; no zone: UTC."),
                                  QStringLiteral("time"));
    const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("End receive time (exclusive), ISO-8601."),
                                QStringLiteral("time"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("Output format: csv (the default)."),
                                    QStringLiteral("format"), QStringLiteral("csv"));
    const QCommandLineOption output({QStringLiteral("o"), QStringLiteral("output")},
                                    QStringLiteral("Write to this file (replaced only when the export succeeds). "
                                                   "Default: stdout."),
                                    QStringLiteral("file"));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    p.addOptions({config, topic, table, field, from, to, format, output, help});

    Parsed out;
    const auto usage = [&out](const QString &message) {
        out.usage = message;
        return out;
    };
    if (!p.parse(arguments))
        return usage(p.errorText());
    if (p.isSet(help)) {
        out.help = QString::fromLatin1(Synopsis) + QStringLiteral("\n\n") + p.helpText().section(QLatin1Char('\n'), 1);
        return out;
    }
    if (!p.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument: ") + p.positionalArguments().constFirst());
    if (!p.isSet(config) || p.value(config).isEmpty())
        return usage(QStringLiteral("--config FILE is required (the configuration that names the database)"));
    for (const QString &o : {QStringLiteral("config"), QStringLiteral("table"), QStringLiteral("from"),
                             QStringLiteral("to"), QStringLiteral("format"), QStringLiteral("output")})
        if (p.values(o).size() > 1)
            return usage(QStringLiteral("--%1 is given more than once").arg(o));
    if (p.value(format) != QLatin1String("csv"))
        return usage(QStringLiteral("--format %1: the only format is csv").arg(p.value(format)));

    Arguments &a = out.arguments;
    a.configPath = p.value(config);
    a.outputPath = p.value(output);
    a.request.topics = p.values(topic);
    a.request.table = p.value(table);
    if (p.isSet(table) && a.request.table.isEmpty())
        return usage(QStringLiteral("--table needs a table name"));
    for (const QString &f : p.values(field)) {
        const qsizetype eq = f.indexOf(QLatin1Char('='));
        if (eq < 0)
            return usage(QStringLiteral("--field %1: expected NAME=POINTER, e.g. seq=/seq").arg(f));
        a.request.fields.append({f.left(eq), f.mid(eq + 1)});
    }
    for (const auto &[opt, slot] : {std::pair{&from, &a.request.fromUs}, std::pair{&to, &a.request.toUs}}) {
        if (!p.isSet(*opt))
            continue;
        std::int64_t us = 0;
        if (!ValueConverter::parseIso8601(p.value(*opt).toUtf8(), us))
            return usage(QStringLiteral("--%1 %2: not an ISO-8601 time, e.g. 2026-12-07T10:00:00Z")
                             .arg(opt->names().constFirst(), p.value(*opt)));
        *slot = us;
    }
    return out;
}

int run(const QStringList &arguments)
{
    const Parsed parsed = parse(arguments);
    if (!parsed.help.isEmpty()) {
        printTo(stdout, parsed.help);
        return static_cast<int>(ExitCode::Ok);
    }
    if (!parsed.usage.isEmpty()) {
        printTo(stderr, QStringLiteral("iot-subscriber export: ") + parsed.usage
                            + QStringLiteral("\nTry 'iot-subscriber export --help'."));
        return static_cast<int>(ExitCode::Config);
    }
    const Arguments &a = parsed.arguments;
    auto loaded = ConfigLoader::loadFile(a.configPath);
    if (!loaded) {
        printTo(stderr, QStringLiteral("error: ") + loaded.error().message);
        return static_cast<int>(ExitCode::Config);
    }

    Exporter exporter(loaded.value(), a.request);
    ExportOutcome result;
    if (a.outputPath.isEmpty()) {
        QFile out;
        // The descriptor, not stdio's FILE: a failed write (a full disk behind a redirection) shows in the write
        // itself rather than in a flush at exit that nobody checks. Unbuffered: CsvWriter buffers already.
        out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered);
        result = exporter.run(&out);
    } else {
        // A failed or partial export leaves an existing file as it was, and no new half-written one.
        QSaveFile out(a.outputPath);
        if (!out.open(QIODevice::WriteOnly)) {
            printTo(stderr, QStringLiteral("iot-subscriber export: --output %1: %2").arg(a.outputPath, out.errorString()));
            return static_cast<int>(ExitCode::Failure);
        }
        result = exporter.run(&out);
        if (result.ending == ExportOutcome::Ending::Done && !out.commit())
            result = {ExportOutcome::Ending::OutputFailed, result.rows,
                      QStringLiteral("--output %1: %2").arg(a.outputPath, out.errorString())};
        if (result.ending == ExportOutcome::Ending::Done)
            printTo(stderr, QStringLiteral("iot-subscriber export: %1 rows written to %2").arg(result.rows).arg(a.outputPath));
    }
    if (result.ending != ExportOutcome::Ending::Done)
        printTo(stderr, QStringLiteral("iot-subscriber export: ") + result.message);
    return static_cast<int>(exitCodeFor(result));
}

} // namespace iot::ExportCommand
