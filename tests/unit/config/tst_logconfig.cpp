// SPDX-License-Identifier: MIT
#include "config/logconfig.h"
#include "logging/log.h"
#include "logging/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <thread>
#include <vector>

using namespace iot;

namespace {

QString sourcePath(const QString &relative)
{
    const QString root = qEnvironmentVariable("IOT_SOURCE_DIR");
    if (!root.isEmpty())
        return root + u'/' + relative;
    return QFINDTESTDATA(QStringLiteral("../../../") + relative);
}

QByteArrayList readLines(const QString &path)
{
    Logging::flush();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QByteArrayList lines = file.readAll().split('\n');
    if (!lines.isEmpty() && lines.constLast().isEmpty())
        lines.removeLast();
    return lines;
}

LogConfig fileOnly(const QString &path, LogConfig::Format format)
{
    LogConfig config;
    config.consoleEnabled = false;
    config.fileEnabled = true;
    config.filePath = path;
    config.format = format;
    config.level = QStringLiteral("debug");
    return config;
}

} // namespace

/// logger.toml parsing and the sinks Logging installs from it.
/// Runs on the test's main thread; the logging it sets up is process-wide, so each test re-installs.
class TstLogConfig final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void shippedFile();
    void values_data();
    void values();
    void errors_data();
    void errors();
    void unreadableFile();
    void jsonLines();
    void textLines();
    void levels();
    void reinstallMovesEarlierLoggers();
    void severalThreads();
    void unopenableFile();
    void structuredFields_data();
    void structuredFields();
    void fieldsStayWithTheirLine();
    void rotation_data();
    void rotation();

private:
    QTemporaryDir m_dir;
};

void TstLogConfig::cleanup()
{
    // Closes the test's log files before the next test (and the temporary directory) needs them gone.
    Logging::installDefault();
}

void TstLogConfig::shippedFile()
{
    const Result<LogConfig> result = LogConfig::loadFile(sourcePath(QStringLiteral("config/logger.toml")));
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    LogConfig expected;
    expected.levels.insert(QStringLiteral("mqtt"), QStringLiteral("info"));
    QVERIFY(result.value() == expected);
}

void TstLogConfig::values()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, level);
    QFETCH(bool, json);
    QFETCH(bool, file);
    QFETCH(int, maxFiles);
    QFETCH(QString, mqttLevel);
    const Result<LogConfig> result = LogConfig::loadString(toml, QStringLiteral("logger.toml"));
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    const LogConfig &c = result.value();
    QCOMPARE(c.level, level);
    QCOMPARE(c.format == LogConfig::Format::Json, json);
    QCOMPARE(c.fileEnabled, file);
    QCOMPARE(c.maxFiles, maxFiles);
    QCOMPARE(c.levels.value(QStringLiteral("mqtt")), mqttLevel);
}

void TstLogConfig::values_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("level");
    QTest::addColumn<bool>("json");
    QTest::addColumn<bool>("file");
    QTest::addColumn<int>("maxFiles");
    QTest::addColumn<QString>("mqttLevel");
    QTest::newRow("empty: defaults") << QByteArray() << QStringLiteral("info") << false << false << 5 << QString();
    QTest::newRow("json to file") << QByteArray("level = \"debug\"\nformat = \"json\"\n[file]\nenabled = true\n"
                                                "max_files = 2\n[levels]\nmqtt = \"trace\"")
                                  << QStringLiteral("debug") << true << true << 2 << QStringLiteral("trace");
    QTest::newRow("spdlog spelling of warn") << QByteArray("level = \"warning\"") << QStringLiteral("warn") << false
                                             << false << 5 << QString();
    QTest::newRow("off") << QByteArray("level = \"off\"\n[levels]\nmqtt = \"critical\"") << QStringLiteral("off")
                         << false << false << 5 << QStringLiteral("critical");
}

void TstLogConfig::errors_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad level") << QByteArray("level = \"verbose\"")
        << QStringLiteral("logger.toml:1:9: level: expected one of trace, debug, info, warn, error, critical, off, "
                          "got \"verbose\"");
    QTest::newRow("bad format") << QByteArray("format = \"xml\"")
        << QStringLiteral("logger.toml:1:10: format: expected \"text\" or \"json\", got \"xml\"");
    QTest::newRow("bad logger level") << QByteArray("[levels]\nmqtt = \"loud\"")
        << QStringLiteral("logger.toml:2:8: levels.mqtt: expected one of trace, debug, info, warn, error, critical, "
                          "off, got \"loud\"");
    QTest::newRow("unknown key, close") << QByteArray("[console]\nenable = true")
        << QStringLiteral("logger.toml:2:1: console.enable: unknown key (did you mean \"enabled\"?)");
    QTest::newRow("unknown section") << QByteArray("[colors]\nenabled = true")
        << QStringLiteral("logger.toml:1:2: colors: unknown section");
    QTest::newRow("string for boolean") << QByteArray("[file]\nenabled = \"yes\"")
        << QStringLiteral("logger.toml:2:11: file.enabled: expected a boolean, got \"yes\"");
    QTest::newRow("zero files") << QByteArray("[file]\nmax_files = 0")
        << QStringLiteral("logger.toml:2:13: file.max_files: expected an integer from 1 to 1000, got 0");
    QTest::newRow("size as string") << QByteArray("[file]\nmax_size_mb = \"10MB\"")
        << QStringLiteral("logger.toml:2:15: file.max_size_mb: expected an integer from 1 to 65536, got \"10MB\"");
    QTest::newRow("empty path") << QByteArray("[file]\npath = \"\"")
        << QStringLiteral("logger.toml:2:8: file.path: expected a non-empty string, got \"\"");
    QTest::newRow("levels not a table") << QByteArray("levels = 3")
        << QStringLiteral("logger.toml:1:10: levels: expected a table, got 3");
    QTest::newRow("syntax error") << QByteArray("level = \"info")
        << QStringLiteral("logger.toml:1:14: syntax error: Error while parsing string: encountered end-of-file");
}

void TstLogConfig::errors()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, expected);
    const Result<LogConfig> result = LogConfig::loadString(toml, QStringLiteral("logger.toml"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().message, expected);
}

void TstLogConfig::unreadableFile()
{
    const Result<LogConfig> result = LogConfig::loadFile(QStringLiteral("/nonexistent/logger.toml"));
    QVERIFY(!result.ok());
    QCOMPARE(result.error().message,
             QStringLiteral("/nonexistent/logger.toml: cannot read logging configuration: No such file or directory"));
}

void TstLogConfig::jsonLines()
{
    QVERIFY(m_dir.isValid());
    const QString path = m_dir.filePath(QStringLiteral("json.log"));
    // fetched before install: must still follow it
    const auto mqtt = log::get("mqtt");
    QVERIFY(Logging::install(fileOnly(path, LogConfig::Format::Json)).ok());

    const QString tricky = QStringLiteral("say \"hi\"\nback\\slash\ttab\x01 ünï");
    mqtt->info("{} to {}:{}", tricky, QStringLiteral("broker"), 1883);
    log::get("db")->warn("payload {}", QByteArray("\xff\xfe{\"a\":1}"));
    qWarning("from Qt %d", 42);

    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), 3);
    QList<QJsonObject> objects;
    for (const QByteArray &line : lines) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        QVERIFY(doc.isObject());
        QCOMPARE(doc.object().keys(), (QStringList{QStringLiteral("level"), QStringLiteral("logger"),
                                                   QStringLiteral("msg"), QStringLiteral("ts")}));
        static const QRegularExpression iso(QStringLiteral(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)"));
        QVERIFY(iso.match(doc.object().value(QStringLiteral("ts")).toString()).hasMatch());
        objects << doc.object();
    }
    QCOMPARE(objects[0].value(QStringLiteral("logger")).toString(), QStringLiteral("mqtt"));
    QCOMPARE(objects[0].value(QStringLiteral("level")).toString(), QStringLiteral("info"));
    QCOMPARE(objects[0].value(QStringLiteral("msg")).toString(), QString(tricky + QStringLiteral(" to broker:1883")));
    QCOMPARE(objects[1].value(QStringLiteral("level")).toString(), QStringLiteral("warn"));
    QCOMPARE(objects[1].value(QStringLiteral("msg")).toString(),
             QStringLiteral("payload \ufffd\ufffd{\"a\":1}"));
    QCOMPARE(objects[2].value(QStringLiteral("logger")).toString(), QStringLiteral("qt"));
    QCOMPARE(objects[2].value(QStringLiteral("level")).toString(), QStringLiteral("warn"));
    QCOMPARE(objects[2].value(QStringLiteral("msg")).toString(), QStringLiteral("from Qt 42"));
}

void TstLogConfig::textLines()
{
    const QString path = m_dir.filePath(QStringLiteral("text.log"));
    QVERIFY(Logging::install(fileOnly(path, LogConfig::Format::Text)).ok());
    log::get("mqtt")->info("connected to {}:{}", QStringLiteral("localhost"), 1883);
    log::get("engine")->error("{:>6}|", QStringLiteral("ab"));
    qDebug("qt debug");

    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), 3);
    const QString time = QStringLiteral(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} )");
    QVERIFY2(QRegularExpression(time + QStringLiteral(R"(info  \[mqtt\] connected to localhost:1883$)"))
                 .match(QString::fromUtf8(lines[0])).hasMatch(), lines[0].constData());
    QVERIFY2(QRegularExpression(time + QStringLiteral(R"(error \[engine\]     ab\|$)"))
                 .match(QString::fromUtf8(lines[1])).hasMatch(), lines[1].constData());
    QVERIFY2(QRegularExpression(time + QStringLiteral(R"(debug \[qt\] qt debug$)"))
                 .match(QString::fromUtf8(lines[2])).hasMatch(), lines[2].constData());
}

void TstLogConfig::levels()
{
    const QString path = m_dir.filePath(QStringLiteral("levels.log"));
    LogConfig config = fileOnly(path, LogConfig::Format::Text);
    config.level = QStringLiteral("warn");
    config.levels.insert(QStringLiteral("db"), QStringLiteral("debug"));
    config.levels.insert(QStringLiteral("mqtt"), QStringLiteral("off"));
    QVERIFY(Logging::install(config).ok());
    log::get("app")->info("app info hidden");
    log::get("app")->warn("app warn shown");
    log::get("db")->debug("db debug shown");
    log::get("mqtt")->critical("mqtt critical hidden");
    log::get("created-after-install")->info("new logger info hidden");

    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[0].endsWith("app warn shown"));
    QVERIFY(lines[1].endsWith("db debug shown"));
}

void TstLogConfig::reinstallMovesEarlierLoggers()
{
    const QString first = m_dir.filePath(QStringLiteral("first.log"));
    const QString second = m_dir.filePath(QStringLiteral("second.log"));
    const auto engine = log::get("engine");
    QVERIFY(Logging::install(fileOnly(first, LogConfig::Format::Text)).ok());
    engine->info("one");
    QVERIFY(Logging::install(fileOnly(second, LogConfig::Format::Text)).ok());
    engine->info("two");

    const QByteArrayList a = readLines(first);
    const QByteArrayList b = readLines(second);
    QCOMPARE(a.size(), 1);
    QVERIFY(a[0].endsWith("[engine] one"));
    QCOMPARE(b.size(), 1);
    QVERIFY(b[0].endsWith("[engine] two"));
}

void TstLogConfig::severalThreads()
{
    const QString path = m_dir.filePath(QStringLiteral("threads.log"));
    QVERIFY(Logging::install(fileOnly(path, LogConfig::Format::Json)).ok());
    constexpr int Threads = 4;
    constexpr int PerThread = 250;
    std::vector<std::thread> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back([t] {
            const auto logger = log::get(t % 2 ? "mqtt" : "db");
            for (int i = 0; i < PerThread; ++i)
                logger->info("thread {} message {} \"quoted\"", t, i);
        });
    }
    for (std::thread &thread : threads)
        thread.join();

    // interleaved writes would show up as lines that are not JSON or as a wrong count
    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), Threads * PerThread);
    for (const QByteArray &line : lines)
        QVERIFY2(QJsonDocument::fromJson(line).isObject(), line.constData());
}

void TstLogConfig::unopenableFile()
{
    const Status status = Logging::install(fileOnly(QStringLiteral("/dev/null/x.log"), LogConfig::Format::Text));
    QVERIFY(!status.ok());
    QVERIFY2(status.error().message.startsWith(QStringLiteral("/dev/null/x.log: cannot open log file: ")),
             qPrintable(status.error().message));
}

void TstLogConfig::structuredFields_data()
{
    QTest::addColumn<bool>("json");
    QTest::newRow("json") << true;
    QTest::newRow("text") << false;
}

void TstLogConfig::structuredFields()
{
    QFETCH(bool, json);
    const QString path = m_dir.filePath(QStringLiteral("fields-%1.log").arg(json));
    LogConfig config = fileOnly(path, json ? LogConfig::Format::Json : LogConfig::Format::Text);
    config.level = QStringLiteral("info");
    QVERIFY(Logging::install(config).ok());
    const QByteArray topic("sensors/\xff\"room\"");
    log::withFields(*log::get("db"), spdlog::level::warn,
                    {{"topic", QByteArrayView(topic)}, {"rows", 12}, {"error", QStringLiteral("duplicate key")}},
                    "{} rows dead-lettered", 12);
    log::get("db")->info("no fields");
    log::withFields(*log::get("db"), spdlog::level::debug, {{"rows", 1}}, "below the level: not formatted");

    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), 2);
    if (!json) {
        // Text lines stay as they were: the message says it in words.
        QVERIFY2(lines[0].endsWith("warn  [db] 12 rows dead-lettered"), lines[0].constData());
        return;
    }
    const QJsonObject o = QJsonDocument::fromJson(lines[0]).object();
    QCOMPARE(o.keys(), (QStringList{QStringLiteral("error"), QStringLiteral("level"), QStringLiteral("logger"),
                                    QStringLiteral("msg"), QStringLiteral("rows"), QStringLiteral("topic"),
                                    QStringLiteral("ts")}));
    QCOMPARE(o.value(QStringLiteral("msg")).toString(), QStringLiteral("12 rows dead-lettered"));
    QVERIFY(o.value(QStringLiteral("rows")).isDouble());
    QCOMPARE(o.value(QStringLiteral("rows")).toInt(), 12);
    QCOMPARE(o.value(QStringLiteral("topic")).toString(), QStringLiteral("sensors/\ufffd\"room\""));
    QCOMPARE(o.value(QStringLiteral("error")).toString(), QStringLiteral("duplicate key"));
    QCOMPARE(QJsonDocument::fromJson(lines[1]).object().keys().size(), 4);
}

void TstLogConfig::fieldsStayWithTheirLine()
{
    const QString path = m_dir.filePath(QStringLiteral("fields-threads.log"));
    QVERIFY(Logging::install(fileOnly(path, LogConfig::Format::Json)).ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < 200; ++i) {
                if (i % 2)
                    log::withFields(*log::get("db"), spdlog::level::info, {{"thread", t}, {"i", i}}, "{} {}", t, i);
                else
                    log::get("db")->info("{} {}", t, i);
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    const QByteArrayList lines = readLines(path);
    QCOMPARE(lines.size(), 800);
    for (const QByteArray &line : lines) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        const QStringList words = o.value(QStringLiteral("msg")).toString().split(u' ');
        const bool withFields = words.value(1).toInt() % 2;
        QCOMPARE(o.contains(QStringLiteral("thread")), withFields);
        if (withFields) {
            QCOMPARE(o.value(QStringLiteral("thread")).toInt(), words.value(0).toInt());
            QCOMPARE(o.value(QStringLiteral("i")).toInt(), words.value(1).toInt());
        }
    }
}

void TstLogConfig::rotation_data()
{
    QTest::addColumn<bool>("json");
    QTest::newRow("json") << true;
    QTest::newRow("text") << false;
}

void TstLogConfig::rotation()
{
    QFETCH(bool, json);
    const QString dir = m_dir.filePath(QStringLiteral("rotation-%1").arg(json));
    QVERIFY(QDir().mkpath(dir));
    LogConfig config = fileOnly(dir + QStringLiteral("/app.log"), json ? LogConfig::Format::Json : LogConfig::Format::Text);
    config.maxSizeMb = 1;
    config.maxFiles = 2;
    QVERIFY(Logging::install(config).ok());
    // About 3.5 MiB: fills the file and both backups, and more.
    const QString filler(400, u'x');
    for (int i = 0; i < 8500; ++i)
        log::get("app")->info("line {} {}", i, filler);
    Logging::installDefault();   // closes the file

    QStringList files = QDir(dir).entryList(QDir::Files, QDir::Name);
    QCOMPARE(files, (QStringList{QStringLiteral("app.1.log"), QStringLiteral("app.2.log"), QStringLiteral("app.log")}));
    for (const QString &name : files) {
        const QString path = dir + u'/' + name;
        QVERIFY2(QFileInfo(path).size() <= 1024 * 1024, qPrintable(name));
        QVERIFY2(QFileInfo(path).size() > 900 * 1024 || name == QStringLiteral("app.log"), qPrintable(name));
        // Rotation happens between lines: every file starts and ends with a whole one.
        const QByteArrayList lines = readLines(path);
        QVERIFY(!lines.isEmpty());
        if (json) {
            QVERIFY2(QJsonDocument::fromJson(lines.constFirst()).isObject(), qPrintable(name));
            QVERIFY2(QJsonDocument::fromJson(lines.constLast()).isObject(), qPrintable(name));
        }
    }
    // The newest lines are in app.log, the oldest kept ones in app.2.log.
    QVERIFY(readLines(dir + QStringLiteral("/app.log")).constLast().contains("line 8499 "));
    QVERIFY(!readLines(dir + QStringLiteral("/app.2.log")).constFirst().contains("line 0 "));
}

QTEST_APPLESS_MAIN(TstLogConfig)
#include "tst_logconfig.moc"
