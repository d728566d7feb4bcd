// SPDX-License-Identifier: MIT
// Rows the database refuses, end to end through the real binary, mosquitto and PostgreSQL (and SQLite): a poison row
// is set aside whatever its SQLSTATE, a statement that refuses every row stops writing (visibly, nothing dropped)
// until it is fixed, and a dropped table comes back. Every check is by sequence number.
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "publisher.h"
#include "readingsprobe.h"
#include "subscriberprocess.h"
#include "taggedrun.h"
#include "testenv.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

QByteArray seqPayload(qint64 seq)
{
    return QByteArrayLiteral("{\"seq\":") + QByteArray::number(seq) + QByteArrayLiteral(",\"t\":20.5}");
}

QMap<qint64, int> merged(QMap<qint64, int> a, const QMap<qint64, int> &b)
{
    for (auto it = b.begin(); it != b.end(); ++it)
        a[it.key()] += it.value();
    return a;
}

} // namespace

class TstPoison final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keyTooLargeForItsIndexIsSetAside();
    void rowRefusedByTriggerIsSetAside_data();
    void rowRefusedByTriggerIsSetAside();
    void everyRowRefusedStopsWritingUntilFixed();
    void droppedTableIsCreatedAgain();
};

void TstPoison::keyTooLargeForItsIndexIsSetAside()
{
    // PostgreSQL refuses an index entry over ~2.7 kB (SQLSTATE 54000, not a "data" class): once this walled every
    // topic; now the row goes to the dead letters and the 1,999 around it (and what follows) are stored.
    IOT_REQUIRE_SERVERS(srv);
    constexpr int Count = 2000, After = 200, Poison = 1000;
    TaggedRun run(srv, QStringLiteral("poison_key"));
    run.setup.prometheusPort = freePort();
    run.setup.extraToml = QStringLiteral(R"(
[[mappings]]
name = "keyed"
topics = ["%1/dev/{device}"]
table = "keyed"
unique = ["k"]

[[mappings.columns]]
name = "device"
source = "topic:device"

[[mappings.columns]]
name = "k"
source = "/k"
required = true

[[mappings.columns]]
name = "seq"
source = "/seq"
type = "integer"
required = true
)").arg(run.tag);
    QVERIFY2(run.start(), qPrintable(run.sub.log()));

    // Random characters, so that TOAST compression cannot shrink the key under the b-tree limit.
    static const char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    QByteArray huge(8192, 'x');
    for (char &c : huge)
        c = Alphabet[QRandomGenerator::global()->bounded(64)];
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY2(pub.connect(), qPrintable(pub.lastError()));
    const auto publish = [&](int seq) {
        const QByteArray key = seq == Poison ? huge : QByteArrayLiteral("key-") + QByteArray::number(seq);
        const QByteArray payload = QByteArrayLiteral("{\"seq\":") + QByteArray::number(seq) + QByteArrayLiteral(",\"k\":\"")
            + key + QByteArrayLiteral("\"}");
        return pub.publish((run.tag + QStringLiteral("/dev/d%1").arg(seq % 10)).toUtf8(), payload, 1);
    };
    for (int seq = 1; seq <= Count; ++seq)
        QVERIFY(publish(seq));
    QVERIFY(pub.waitAllDelivered(20000));
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(QStringLiteral("keyed")), qint64(Count - 1), 60000);
    // Ingestion goes on after it.
    for (int seq = Count + 1; seq <= Count + After; ++seq)
        QVERIFY(publish(seq));
    QVERIFY(pub.waitAllDelivered(20000));
    pub.disconnect();
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(QStringLiteral("keyed")), qint64(Count + After - 1), 30000);

    QCOMPARE(run.probe.count(QStringLiteral("dead_letters")), qint64(1));
    const auto letters = run.probe.deadLetters();
    QCOMPARE(letters.size(), 1);
    QVERIFY2(letters.front().second.startsWith(QStringLiteral("rejected by database (54000): ")),
             qPrintable(letters.front().second));
    QVERIFY2(letters.front().second.contains(QStringLiteral("index row")), qPrintable(letters.front().second));
    QCOMPARE(
        run.probe.scalar(QStringLiteral("SELECT convert_from(payload, 'UTF8')::jsonb->>'seq' FROM dead_letters")),
        QString::number(Poison));
    const SeqReport report = SeqReport::check(run.probe.columnCounts(QStringLiteral("keyed"), QStringLiteral("seq")), 1,
                                              Count + After);
    qInfo("a 54000 row among %d: %s", Count, qPrintable(report.describe()));
    QCOMPARE(report.missing, qint64(1));
    QCOMPARE(report.firstMissing, QString::number(Poison));
    QCOMPARE(report.duplicated, qint64(0));
    QCOMPARE(scrapeMetric(run.setup.prometheusPort, "iot_subscriber_dead_letters_total{reason=\"db_rejected\"}"), 1.0);
    QCOMPARE(scrapeMetric(run.setup.prometheusPort, "iot_subscriber_writing_blocked"), 0.0);
    QVERIFY2(run.sub.isRunning(), qPrintable(run.sub.log().right(2000)));
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(run.sub.log(), b), qPrintable(run.sub.log().right(2000)));
    QCOMPARE(b.deadLettered, qint64(1));
    QCOMPARE(b.dropped, qint64(0));
    QCOMPARE(b.inFlight, qint64(0));
}

void TstPoison::rowRefusedByTriggerIsSetAside_data()
{
    QTest::addColumn<bool>("postgres");
    QTest::newRow("postgresql") << true;
    QTest::newRow("sqlite") << false;
}

void TstPoison::rowRefusedByTriggerIsSetAside()
{
    // A BEFORE INSERT trigger (COPY fires it too) refuses one payload: P0001 in PostgreSQL, SQLITE_CONSTRAINT
    // (RAISE(ABORT)) in SQLite. That row is set aside with the server's message; the others are stored.
    QFETCH(bool, postgres);
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 2000, Refused = 777;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/poison-trigger-XXXXXX"));
    const QString tag = postgres ? QStringLiteral("poison_trg_pg") : QStringLiteral("poison_trg_lite");
    SubscriberSetup setup;
    setup.postgres = postgres;
    setup.database = postgres ? tag : dir.filePath(QStringLiteral("trigger.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    ReadingsProbe probe = postgres ? ReadingsProbe::freshPostgres(srv, tag) : ReadingsProbe::sqlite(setup.database);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    if (postgres) {
        QVERIFY2(probe.exec(QStringLiteral(
                     "CREATE FUNCTION refuse_777() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF (NEW.payload->>'seq')::bigint = %1 THEN RAISE EXCEPTION 'seq %1 refused by policy'; END IF; "
                     "RETURN NEW; END $$").arg(Refused)),
                 qPrintable(probe.error()));
        QVERIFY2(probe.exec(QStringLiteral("CREATE TRIGGER refuse_777 BEFORE INSERT ON readings FOR EACH ROW "
                                           "EXECUTE FUNCTION refuse_777()")),
                 qPrintable(probe.error()));
    } else {
        QVERIFY2(probe.exec(QStringLiteral("CREATE TRIGGER refuse_777 BEFORE INSERT ON readings WHEN "
                                           "json_extract(NEW.payload, '$.seq') = %1 BEGIN "
                                           "SELECT RAISE(ABORT, 'seq %1 refused by policy'); END")
                                .arg(Refused)),
                 qPrintable(probe.error()));
    }

    BackgroundPublisher publisher(simulation(srv, tag, Count, 2000));
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count - 1), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(QStringLiteral("dead_letters")), qint64(1), 10000);
    const auto letters = probe.deadLetters();
    QCOMPARE(letters.size(), 1);
    const QString expected = postgres ? QStringLiteral("rejected by database (P0001): ")
                                      : QStringLiteral("rejected by database (SQLITE_CONSTRAINT): ");
    QVERIFY2(letters.front().second.startsWith(expected), qPrintable(letters.front().second));
    QVERIFY2(letters.front().second.contains(QStringLiteral("seq 777 refused by policy")),
             qPrintable(letters.front().second));
    const SeqReport report = SeqReport::check(probe.seqCounts(), 1, Count);
    qInfo("a row refused by a trigger: %s", qPrintable(report.describe()));
    QCOMPARE(report.missing, qint64(1));
    QCOMPARE(report.firstMissing, QString::number(Refused));
    QCOMPARE(report.duplicated, qint64(0));
    QVERIFY2(sub.isRunning(), qPrintable(sub.log().right(2000)));
    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

void TstPoison::everyRowRefusedStopsWritingUntilFixed()
{
    // A trigger that refuses every row is the statement's fault, not any row's: writing stops (state Blocked,
    // /readyz 503, a metric), nothing is dead-lettered or dropped, and once the trigger is gone everything arrives.
    IOT_REQUIRE_SERVERS(srv);
    constexpr int First = 300, Held = 300;
    TaggedRun run(srv, QStringLiteral("poison_all"));
    run.setup.prometheusPort = freePort();
    const int port = run.setup.prometheusPort;
    QVERIFY2(run.start(), qPrintable(run.sub.log()));
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY2(pub.connect(), qPrintable(pub.lastError()));
    for (int seq = 1; seq <= First; ++seq)
        QVERIFY(pub.publish((run.tag + QStringLiteral("/s%1").arg(seq % 7)).toUtf8(), seqPayload(seq), 1));
    QVERIFY(pub.waitAllDelivered(10000));
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(), qint64(First), 20000);

    QVERIFY2(run.probe.exec(QStringLiteral("CREATE FUNCTION maintenance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                       "RAISE EXCEPTION 'readings are closed for maintenance'; END $$")),
             qPrintable(run.probe.error()));
    QVERIFY2(run.probe.exec(QStringLiteral("CREATE TRIGGER maintenance BEFORE INSERT ON readings FOR EACH ROW "
                                       "EXECUTE FUNCTION maintenance()")),
             qPrintable(run.probe.error()));
    for (int seq = First + 1; seq <= First + Held; ++seq)
        QVERIFY(pub.publish((run.tag + QStringLiteral("/s%1").arg(seq % 7)).toUtf8(), seqPayload(seq), 1));
    QVERIFY(pub.waitAllDelivered(10000));

    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_writing_blocked"), 1.0, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(quint16(port), "/readyz").status, 503, 10000);
    // Several rounds of retrying while blocked change nothing: no row stored, dead-lettered or dropped.
    const double failures = scrapeMetric(port, "iot_subscriber_write_failures_total");
    QTRY_VERIFY_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_write_failures_total") >= failures + 3, 20000);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_writing_blocked"), 1.0);
    QCOMPARE(run.probe.count(), qint64(First));
    QCOMPARE(run.probe.count(QStringLiteral("dead_letters")), qint64(0));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_buffer_messages"), double(Held));
    QVERIFY2(run.sub.isRunning(), qPrintable(run.sub.log().right(2000)));

    QVERIFY2(run.probe.exec(QStringLiteral("DROP TRIGGER maintenance ON readings")), qPrintable(run.probe.error()));
    QTRY_COMPARE_WITH_TIMEOUT(run.probe.count(), qint64(First + Held), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_writing_blocked"), 0.0, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(quint16(port), "/readyz").status, 200, 10000);
    const SeqReport report = SeqReport::check(run.probe.seqCounts(), 1, First + Held);
    QVERIFY2(report.missing == 0 && report.duplicated == 0, qPrintable(report.describe()));
    QCOMPARE(run.probe.count(QStringLiteral("dead_letters")), qint64(0));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_dead_letters_total{reason=\"db_rejected\"}"), 0.0);
    pub.disconnect();
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(run.sub.log(), b), qPrintable(run.sub.log().right(2000)));
    QCOMPARE(b.deadLettered, qint64(0));
    QCOMPARE(b.dropped, qint64(0));
}

void TstPoison::droppedTableIsCreatedAgain()
{
    // The subscriber owns its schema and creates it at every (re)connection as at start: a readings table dropped
    // mid-stream fails one write (42P01), the retry reconnects and re-creates it, and writing goes on. The test
    // keeps what the table held at the drop, so that every sequence number can be accounted for.
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 10000;
    TaggedRun run(srv, QStringLiteral("poison_drop"));
    run.setup.prometheusPort = freePort();
    const int port = run.setup.prometheusPort;
    QVERIFY2(run.start(), qPrintable(run.sub.log()));

    BackgroundPublisher publisher(simulation(srv, run.tag, Count, 2500));
    QTRY_VERIFY_WITH_TIMEOUT(run.probe.count() > 1000, 20000);
    const double failuresBefore = scrapeMetric(port, "iot_subscriber_write_failures_total");
    // One transaction: no row can be committed between the copy and the drop.
    for (const QString &sql : {QStringLiteral("BEGIN"), QStringLiteral("LOCK TABLE readings IN ACCESS EXCLUSIVE MODE"),
                               QStringLiteral("CREATE TABLE readings_before AS SELECT * FROM readings"),
                               QStringLiteral("DROP TABLE readings"), QStringLiteral("COMMIT")})
        QVERIFY2(run.probe.exec(sql), qPrintable(sql + QStringLiteral(": ") + run.probe.error()));
    const qint64 before = run.probe.count(QStringLiteral("readings_before"));
    const SimStats stats = publisher.join();
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));

    QTRY_COMPARE_WITH_TIMEOUT(before + run.probe.count(), qint64(Count), 60000);
    const SeqReport report =
        SeqReport::check(merged(run.probe.seqCounts(QStringLiteral("readings_before")), run.probe.seqCounts()), 1,
                         Count);
    qInfo("a readings table dropped after %lld rows: %s", before, qPrintable(report.describe()));
    QVERIFY2(report.missing == 0 && report.duplicated == 0, qPrintable(report.describe()));
    // Seen and counted: the refused write and the reconnection that re-created the table; nothing set aside.
    QVERIFY(scrapeMetric(port, "iot_subscriber_write_failures_total") > failuresBefore);
    QVERIFY(scrapeMetric(port, "iot_subscriber_reconnects_total{target=\"database\"}") >= 1);
    QCOMPARE(run.probe.count(QStringLiteral("dead_letters")), qint64(0));
    QCOMPARE(scrapeMetric(port, "iot_subscriber_writing_blocked"), 0.0);
    QVERIFY2(run.sub.isRunning(), qPrintable(run.sub.log().right(2000)));
    QVERIFY2(run.sub.stopCleanly(), qPrintable(run.sub.log().right(2000)));
    FinalBalance b;
    QVERIFY2(FinalBalance::parse(run.sub.log(), b), qPrintable(run.sub.log().right(2000)));
    QCOMPARE(b.deadLettered, qint64(0));
    QCOMPARE(b.dropped, qint64(0));
    QCOMPARE(b.inFlight, qint64(0));
}

QTEST_GUILESS_MAIN(TstPoison)
#include "tst_poison.moc"
