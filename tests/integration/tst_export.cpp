// SPDX-License-Identifier: MIT
// `iot-subscriber export` end to end on PostgreSQL and SQLite: readings stored by the real subscriber from real
// MQTT messages come back as RFC 4180 CSV (parsed strictly) with exact values; time ranges, topic filters with
// `+` and `#`, a [[mappings]] table, bad arguments (exit 2), an unreachable database (exit 1), no table created.
#include "exportrun.h"
#include "publisher.h"
#include "readingsprobe.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QDateTime>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

constexpr int Readings = 5000;
constexpr int Mapped = 100;

QString mappingToml(const QString &tag)
{
    return QStringLiteral(R"(
[[mappings]]
name = "rooms"
topics = ["%1/mapped/{room}"]
table = "rooms"
time_column = "at"

[[mappings.columns]]
name = "room"
source = "topic:room"

[[mappings.columns]]
name = "t"
source = "/t"
type = "double"

[[mappings.columns]]
name = "ok"
source = "/ok"
type = "boolean"

[[mappings.columns]]
name = "at"
source = "received_at"
type = "timestamptz"

[[mappings.columns]]
name = "topic_name"
source = "topic"
)")
        .arg(tag);
}

/// The five topic layouts the readings rotate through: commas, quotes and non-ASCII in levels.
QStringList topics(const QString &tag)
{
    return {tag + QStringLiteral("/a/temp"), tag + QStringLiteral("/b/temp"), tag + QStringLiteral("/a/hum"),
            tag + QStringLiteral("/lab,1/\"q\"/temp"), tag + QStringLiteral("/k\u00fchl/temp")};
}

QByteArray note(int i)
{
    return "n" + QByteArray::number(i) + ", \"quoted\"\nsecond line";
}

QByteArray value(int i)
{
    return QByteArray::number(20 + i % 50) + ".125";
}

QByteArray payload(int i)
{
    // note as JSON: its quotes and newline escaped.
    return "{\"seq\":" + QByteArray::number(i) + ",\"note\":\"n" + QByteArray::number(i)
        + ", \\\"quoted\\\"\\nsecond line\",\"v\":" + value(i) + ",\"meta\":{\"unit\":\"\xc2\xb0" "C\"}}";
}

const QRegularExpression IsoUtc(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$"));

} // namespace

class TstExport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void endToEnd_data();
    void endToEnd();
    void unreachableDatabase();
    void createsNoTable();

private:
    struct Db
    {
        QString config;         // the subscriber's config.toml, used by the export too
        QString minReceivedAt;  // from the database itself
    };
    std::unique_ptr<QTemporaryDir> m_dir;
    QMap<QString, Db> m_db;
    bool storeReadings(bool postgres, Db &db);
};

void TstExport::initTestCase()
{
    IOT_REQUIRE_SERVERS(srv);
    m_dir = std::make_unique<QTemporaryDir>(srv.tmp + QStringLiteral("/export-XXXXXX"));
    QVERIFY(m_dir->isValid());
}

void TstExport::cleanupTestCase()
{
    m_dir.reset();
}

bool TstExport::storeReadings(bool postgres, Db &db)
{
    const auto srvOpt = servers();
    const Servers &srv = *srvOpt;
    const QString tag = postgres ? QStringLiteral("exp_pg") : QStringLiteral("exp_lite");
    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : m_dir->filePath(tag + QStringLiteral(".sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.extraToml = mappingToml(tag);
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    SubscriberProcess sub(m_dir->filePath(tag));
    if (!sub.start(subscriberConfig(srv, setup)) || !sub.waitForLog(QStringLiteral("subscribed to"), 15000)
        || !sub.waitForLog(QStringLiteral("database ready"), 15000)) {
        qWarning("%s", qPrintable(sub.log()));
        return false;
    }
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    if (!pub.connect())
        return false;
    const QStringList t = topics(tag);
    for (int i = 0; i < Readings; ++i)
        if (!pub.publish(t[i % t.size()].toUtf8(), payload(i), 1))
            return false;
    for (int i = 0; i < Mapped; ++i)
        if (!pub.publish((tag + QStringLiteral("/mapped/r%1").arg(i % 2)).toUtf8(),
                         "{\"t\":" + QByteArray::number(i) + ".5,\"ok\":" + (i % 3 ? "true" : "false") + "}", 1))
            return false;
    if (!pub.waitAllDelivered(30000))
        return false;
    pub.disconnect();
    QElapsedTimer wait;
    wait.start();
    while ((probe.count() < Readings || probe.count(QStringLiteral("rooms")) < Mapped) && wait.elapsed() < 30000)
        QTest::qWait(100);
    if (probe.count() != Readings || probe.count(QStringLiteral("rooms")) != Mapped || !sub.stopCleanly()) {
        qWarning("stored %lld readings, %lld mapped; %s", probe.count(), probe.count(QStringLiteral("rooms")),
                 qPrintable(sub.log().right(2000)));
        return false;
    }
    db.config = sub.configPath();
    db.minReceivedAt = probe.scalar(
        postgres ? QStringLiteral("SELECT to_char(min(received_at) AT TIME ZONE 'UTC', "
                                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM readings")
                 : QStringLiteral("SELECT min(received_at) FROM readings"));
    return true;
}

void TstExport::endToEnd_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("postgresql") << true;
    QTest::newRow("sqlite") << false;
}

void TstExport::endToEnd()
{
    QFETCH(bool, postgres);
    IOT_REQUIRE_SERVERS(srv);
    Q_UNUSED(srv);  // storeReadings() reads them again
    const QString tag = postgres ? QStringLiteral("exp_pg") : QStringLiteral("exp_lite");
    Db db;
    QVERIFY(storeReadings(postgres, db));
    const QStringList cfg{QStringLiteral("--config"), db.config};
    const QStringList fields{QStringLiteral("--field"), QStringLiteral("seq=/seq"), QStringLiteral("--field"),
                             QStringLiteral("note=/note"), QStringLiteral("--field"), QStringLiteral("v=/v"),
                             QStringLiteral("--field"), QStringLiteral("unit=/meta/unit")};
    const QStringList t = topics(tag);

    // Everything, to a file; then the same to stdout, byte for byte.
    const QString file = m_dir->filePath(tag + QStringLiteral(".csv"));
    const ExportRun all = ExportRun::run(cfg + fields + QStringList{QStringLiteral("--output"), file});
    QVERIFY2(all.finished && all.exitCode == 0, qPrintable(all.describe()));
    qInfo("%s: %d rows exported in %lld ms, peak RSS %lld KiB", qPrintable(tag), Readings, all.elapsedMs, all.peakKiB);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    const ExportRun toStdout = ExportRun::run(cfg + fields);
    QVERIFY2(toStdout.exitCode == 0, qPrintable(toStdout.describe()));
    QCOMPARE(toStdout.out, text);

    const CsvTable csv = CsvTable::parse(text);
    QVERIFY2(csv.error.isEmpty(), qPrintable(csv.error));
    QCOMPARE(csv.records.size(), Readings + 1);
    QCOMPARE(csv.records[0], (QList<QByteArray>{"received_at", "topic", "seq", "note", "v", "unit"}));
    QSet<int> seen;
    QByteArray previous;
    for (qsizetype r = 1; r < csv.records.size(); ++r) {
        const QList<QByteArray> &row = csv.records[r];
        QCOMPARE(row.size(), 6);
        bool ok = false;
        const int seq = row[2].toInt(&ok);
        QVERIFY2(ok && seq >= 0 && seq < Readings && !seen.contains(seq), row[2].constData());
        seen.insert(seq);
        QVERIFY2(IsoUtc.match(QString::fromLatin1(row[0])).hasMatch(), row[0].constData());
        QVERIFY2(previous <= row[0], "rows in receive-time order");
        previous = row[0];
        QCOMPARE(QString::fromUtf8(row[1]), t[seq % t.size()]);
        QCOMPARE(row[3], note(seq));
        QCOMPARE(row[4], value(seq));
        QCOMPARE(row[5], QByteArray("\xc2\xb0" "C"));
    }
    QCOMPARE(seen.size(), Readings);
    QCOMPARE(QString::fromLatin1(csv.records[1][0]), db.minReceivedAt);

    // stdout that refuses writes (a full disk behind a redirection): exit 1 with the reason, not a silent 0.
    {
        QProcess full;
        full.setStandardOutputFile(QStringLiteral("/dev/full"));
        full.start(subscriberBinary(), QStringList{QStringLiteral("export")} + cfg + fields);
        QVERIFY(full.waitForFinished(60000));
        const QString err = QString::fromUtf8(full.readAllStandardError());
        QCOMPARE(full.exitCode(), 1);
        QVERIFY2(err.contains(QStringLiteral("writing the output failed")), qPrintable(err));
    }

    // Without --field: the whole payload as one column.
    const ExportRun whole = ExportRun::run(cfg + QStringList{QStringLiteral("--topic"), t[0]});
    QVERIFY2(whole.exitCode == 0, qPrintable(whole.describe()));
    const CsvTable wholeCsv = CsvTable::parse(whole.out);
    QCOMPARE(wholeCsv.records.value(0), (QList<QByteArray>{"received_at", "topic", "payload"}));
    QCOMPARE(wholeCsv.records.size(), Readings / 5 + 1);
    QVERIFY2(wholeCsv.records[1][2].contains("\"seq\":") || wholeCsv.records[1][2].contains("\"seq\": "),
             wholeCsv.records[1][2].constData());

    // A range that excludes everything: the header alone.
    const ExportRun none = ExportRun::run(cfg + fields + QStringList{QStringLiteral("--from"),
        QStringLiteral("2001-01-01T00:00:00Z"), QStringLiteral("--to"), QStringLiteral("2001-01-02")});
    QVERIFY2(none.exitCode == 0, qPrintable(none.describe()));
    QCOMPARE(none.out, QByteArray("received_at,topic,seq,note,v,unit\r\n"));

    // --from inclusive, --to exclusive: from the first receive time to the last leaves out the rows at the last.
    const QByteArray first = csv.records[1][0];
    const QByteArray last = csv.records.last()[0];
    qsizetype atLast = 0;
    for (const auto &row : csv.records)
        atLast += row[0] == last;
    const ExportRun range = ExportRun::run(cfg + fields + QStringList{QStringLiteral("--from"),
        QString::fromLatin1(first), QStringLiteral("--to"), QString::fromLatin1(last)});
    QVERIFY2(range.exitCode == 0, qPrintable(range.describe()));
    QCOMPARE(CsvTable::parse(range.out).records.size(), Readings + 1 - atLast);

    // Topic filters: '+' one level (not the four-level topic), '#' the rest, several ORed, one only C++ can do.
    const auto countFor = [&](const QStringList &filters) {
        QStringList args = cfg + fields;
        for (const QString &f : filters)
            args << QStringLiteral("--topic") << f;
        const ExportRun r = ExportRun::run(args);
        if (r.exitCode != 0)
            qWarning("%s", qPrintable(r.describe()));
        const CsvTable c = CsvTable::parse(r.out);
        QSet<QString> seenTopics;
        for (qsizetype i = 1; i < c.records.size(); ++i)
            seenTopics.insert(QString::fromUtf8(c.records[i][1]));
        return std::pair{c.records.size() - 1, seenTopics};
    };
    const int perTopic = Readings / 5;
    QCOMPARE(countFor({tag + QStringLiteral("/+/temp")}),
             (std::pair{qsizetype(3 * perTopic), QSet<QString>{t[0], t[1], t[4]}}));
    QCOMPARE(countFor({tag + QStringLiteral("/a/#")}), (std::pair{qsizetype(2 * perTopic), QSet<QString>{t[0], t[2]}}));
    QCOMPARE(countFor({tag + QStringLiteral("/lab,1/#"), t[1]}),
             (std::pair{qsizetype(2 * perTopic), QSet<QString>{t[3], t[1]}}));
    QCOMPARE(countFor({QStringLiteral("+/a/+")}), (std::pair{qsizetype(2 * perTopic), QSet<QString>{t[0], t[2]}}));
    QCOMPARE(countFor({tag + QStringLiteral("/A/#")}).first, qsizetype(0));  // case matters, on SQLite too

    // The mapped table: its columns, its time column as received_at, its topic column as topic.
    const ExportRun mapped = ExportRun::run(cfg + QStringList{QStringLiteral("--table"), QStringLiteral("rooms")});
    QVERIFY2(mapped.exitCode == 0, qPrintable(mapped.describe()));
    const CsvTable m = CsvTable::parse(mapped.out);
    QVERIFY2(m.error.isEmpty(), qPrintable(m.error));
    QCOMPARE(m.records.size(), Mapped + 1);
    QCOMPARE(m.records[0], (QList<QByteArray>{"received_at", "topic", "room", "t", "ok", "at", "topic_name"}));
    QSet<QByteArray> temps;
    for (qsizetype r = 1; r < m.records.size(); ++r) {
        const auto &row = m.records[r];
        QCOMPARE(row[0], row[5]);
        QVERIFY2(IsoUtc.match(QString::fromLatin1(row[0])).hasMatch(), row[0].constData());
        QCOMPARE(row[1], row[6]);
        QCOMPARE(row[1], (tag + QStringLiteral("/mapped/")).toUtf8() + row[2]);
        const int i = static_cast<int>(row[3].chopped(2).toInt());
        QCOMPARE(row[3], QByteArray::number(i) + ".5");
        QCOMPARE(row[2], "r" + QByteArray::number(i % 2));
        QCOMPARE(row[4], QByteArray(i % 3 ? "true" : "false"));
        temps.insert(row[3]);
    }
    QCOMPARE(temps.size(), Mapped);
    const ExportRun r1 = ExportRun::run(cfg + QStringList{QStringLiteral("--table"), QStringLiteral("rooms"),
        QStringLiteral("--topic"), tag + QStringLiteral("/mapped/r1"), QStringLiteral("--from"), QString::fromLatin1(first)});
    QVERIFY2(r1.exitCode == 0, qPrintable(r1.describe()));
    QCOMPARE(CsvTable::parse(r1.out).records.size(), Mapped / 2 + 1);

    // Bad arguments: exit 2, the reason on stderr, nothing on stdout.
    const QList<std::pair<QStringList, QString>> bad{
        {cfg + QStringList{QStringLiteral("--from"), QStringLiteral("yesterday")}, QStringLiteral("--from yesterday: not an ISO-8601 time")},
        {cfg + QStringList{QStringLiteral("--field"), QStringLiteral("seq")}, QStringLiteral("--field seq: expected NAME=POINTER")},
        {cfg + QStringList{QStringLiteral("--field"), QStringLiteral("seq=seq")}, QStringLiteral("a JSON pointer starts with '/'")},
        {cfg + QStringList{QStringLiteral("--table"), QStringLiteral("nosuch")}, QStringLiteral("--table nosuch: no [[mappings]] rule")},
        {cfg + QStringList{QStringLiteral("--table"), QStringLiteral("rooms"), QStringLiteral("--field"), QStringLiteral("a=/a")},
         QStringLiteral("with --table the table's own columns")},
        {cfg + QStringList{QStringLiteral("--topic"), QStringLiteral("a/#/b")}, QStringLiteral("--topic 'a/#/b'")},
        {cfg + QStringList{QStringLiteral("--format"), QStringLiteral("xlsx")}, QStringLiteral("the only format is csv")},
        {cfg + QStringList{QStringLiteral("--from"), QStringLiteral("2026-02-01"), QStringLiteral("--to"), QStringLiteral("2026-01-01")},
         QStringLiteral("--from must be earlier than --to")},
        {cfg + QStringList{QStringLiteral("--bogus")}, QStringLiteral("Unknown option 'bogus'")},
        {QStringList{QStringLiteral("--topic"), QStringLiteral("a")}, QStringLiteral("--config FILE is required")},
    };
    for (const auto &[args, message] : bad) {
        const ExportRun r = ExportRun::run(args);
        QVERIFY2(r.finished && r.exitCode == 2, qPrintable(args.join(u' ') + QStringLiteral(": ") + r.describe()));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }
}

void TstExport::unreachableDatabase()
{
    IOT_REQUIRE_SERVERS(srv);
    // PostgreSQL on a port nobody listens on; SQLite at a file that does not exist (and must not be created).
    SubscriberSetup pg;
    pg.database = QStringLiteral("iot");
    Servers nowhere = srv;
    nowhere.pgPort = freePort();
    const QString pgConfig = m_dir->filePath(QStringLiteral("unreachable-pg.toml"));
    SubscriberSetup lite;
    lite.postgres = false;
    lite.database = m_dir->filePath(QStringLiteral("missing/nothing.sqlite"));
    const QString liteConfig = m_dir->filePath(QStringLiteral("unreachable-lite.toml"));
    for (const auto &[path, toml] : {std::pair{pgConfig, subscriberConfig(nowhere, pg)},
                                     std::pair{liteConfig, subscriberConfig(srv, lite)}}) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(toml.toUtf8());
    }
    for (const QString &config : {pgConfig, liteConfig}) {
        const ExportRun r = ExportRun::run({QStringLiteral("--config"), config});
        QVERIFY2(r.finished && r.exitCode == 1, qPrintable(r.describe()));
        QVERIFY2(!r.err.trimmed().isEmpty(), "the reason on stderr");
        QVERIFY(r.out.isEmpty());
    }
    QVERIFY(!QFile::exists(lite.database));

    // A config with a mistake is exit 2 with its place in the file, as for a run.
    const QString broken = m_dir->filePath(QStringLiteral("broken.toml"));
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[database]\ndriver = \"sqlite\"\nport = \"many\"\n");
    f.close();
    const ExportRun r = ExportRun::run({QStringLiteral("--config"), broken});
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains(broken + QStringLiteral(":3:")), qPrintable(r.err));
}

void TstExport::createsNoTable()
{
    IOT_REQUIRE_SERVERS(srv);
    // An empty database: the export fails to read (exit 1) and leaves it empty, on PostgreSQL and SQLite alike.
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, QStringLiteral("exp_empty"));
    SubscriberSetup pg;
    pg.database = QStringLiteral("exp_empty");
    const QString liteFile = m_dir->filePath(QStringLiteral("empty.sqlite"));
    {
        QFile empty(liteFile);
        QVERIFY(empty.open(QIODevice::WriteOnly));  // a zero-byte file is an empty SQLite database
    }
    SubscriberSetup lite;
    lite.postgres = false;
    lite.database = liteFile;
    for (const auto &setup : {pg, lite}) {
        const QString path = m_dir->filePath(QStringLiteral("empty-%1.toml").arg(setup.postgres));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(subscriberConfig(srv, setup).toUtf8());
        f.close();
        const ExportRun r = ExportRun::run({QStringLiteral("--config"), path, QStringLiteral("--field"),
                                            QStringLiteral("seq=/seq")});
        QVERIFY2(r.exitCode == 1, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("readings")), qPrintable(r.err));
    }
    QCOMPARE(probe.scalar(QStringLiteral("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")),
             QStringLiteral("0"));
    QCOMPARE(QFileInfo(liteFile).size(), qint64(0));
}

QTEST_GUILESS_MAIN(TstExport)
#include "tst_export.moc"
