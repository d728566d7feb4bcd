// SPDX-License-Identifier: MIT
// Observability end to end through the real binary: /metrics scraped by a real Prometheus server and checked with
// promtool, /healthz and /readyz across broker and database outages, spans at a local OTLP receiver, and a dead
// collector that must not slow ingestion.
#include "httpclient.h"
#include "otlpreceiver.h"
#include "prometheusserver.h"
#include "readingsprobe.h"
#include "simulation.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

SimOptions simulation(const Servers &srv, const QString &prefix, quint64 count, quint64 seqStart = 1, int port = 0)
{
    SimOptions sim;
    sim.publish.host = srv.mqttHost;
    sim.publish.port = port ? port : srv.mqttPort;
    sim.publish.qos = 1;
    sim.payload.topicPrefix = prefix.toUtf8();
    sim.payload.sensors = 10;
    sim.count = count;
    sim.seqStart = seqStart;
    sim.quiet = true;
    return sim;
}

QJsonObject json(const HttpResult &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

QString reasons(const HttpResult &r)
{
    QStringList out;
    for (const QJsonValue v : json(r).value(QStringLiteral("reasons")).toArray())
        out << v.toString();
    return out.join(QStringLiteral("; "));
}

QJsonValue attribute(const QJsonObject &span, const QString &key)
{
    for (const QJsonValue a : span.value(QStringLiteral("attributes")).toArray()) {
        const QJsonObject kv = a.toObject();
        if (kv.value(QStringLiteral("key")).toString() == key) {
            const QJsonObject any = kv.value(QStringLiteral("value")).toObject();
            return any.value(any.keys().value(0));
        }
    }
    return {};
}

QList<QJsonObject> spansNamed(const OtlpReceiver &receiver, const QString &name)
{
    QList<QJsonObject> out;
    for (const QJsonObject &s : receiver.spans())
        if (s.value(QStringLiteral("name")).toString() == name)
            out << s;
    return out;
}

qint64 committedRows(const OtlpReceiver &receiver)
{
    qint64 rows = 0;
    for (const QJsonObject &s : spansNamed(receiver, QStringLiteral("batch write")))
        if (attribute(s, QStringLiteral("outcome")).toString() == QStringLiteral("committed"))
            rows += attribute(s, QStringLiteral("rows")).toString().toLongLong();
    return rows;
}

/// Publishes `count` messages and returns how long it took until all were stored.
qint64 ingestMs(const Servers &srv, const ReadingsProbe &probe, const QString &prefix, quint64 count)
{
    QElapsedTimer clock;
    clock.start();
    const SimStats stats = runSimulation(simulation(srv, prefix, count));
    if (!stats.allDelivered())
        return -1;
    QDeadlineTimer deadline(60000);
    while (probe.count() != qint64(count) && !deadline.hasExpired())
        QTest::qWait(20);
    return probe.count() == qint64(count) ? clock.elapsed() : -1;
}

} // namespace

/// Metrics, health checks and traces of the real binary, seen from outside as an operator's tools see them.
/// Runs on the test's main thread; its OTLP receiver answers while the QTRY loops spin the event loop.
class TstObservability final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void metricsReachPrometheusAndSpansTheCollector();
    void readinessFollowsBrokerAndDatabase();
    void deadCollectorCostsNothing();
};

void TstObservability::metricsReachPrometheusAndSpansTheCollector()
{
    IOT_REQUIRE_SERVERS(srv);
    if (PrometheusServer::binary().isEmpty() || QStandardPaths::findExecutable(QStringLiteral("promtool")).isEmpty())
        QFAIL("prometheus/promtool missing: scripts/deps.sh --test installs the prometheus package");
    constexpr quint64 Count = 3000;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obs-XXXXXX"));
    const QString tag = QStringLiteral("obs_metrics");
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.prometheusPort = freePort();
    setup.extraObservabilityKeys = QStringLiteral("trace_endpoint = \"%1\"\nservice_name = \"obs-test\"\n")
                                       .arg(QString::fromLatin1(receiver.url()));
    const auto port = static_cast<quint16>(setup.prometheusPort);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QVERIFY2(sub.log().contains(QStringLiteral("/metrics")), qPrintable(sub.log()));

    PrometheusServer prometheus(dir.filePath(QStringLiteral("prometheus")));
    QString error;
    QVERIFY2(prometheus.start(port, &error), qPrintable(error));

    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/healthz").status, 200, 10000);
    QCOMPARE(json(httpGet(port, "/healthz")).value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 200, 10000);

    const SimStats stats = runSimulation(simulation(srv, tag, Count));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(Count), 30000);

    // The snapshot behind /metrics is at most a quarter second old.
    QTRY_COMPARE_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_rows_written_total"), double(Count), 5000);
    QElapsedTimer scrapeClock;
    scrapeClock.start();
    const HttpResult metrics = httpGet(port, "/metrics");
    qInfo("scrape: %lld ms, %lld bytes", qint64(scrapeClock.elapsed()), qint64(metrics.body.size()));
    QCOMPARE(metrics.status, 200);
    QCOMPARE(metrics.headers.value("content-type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    const QByteArray &text = metrics.body;
    QCOMPARE(metricSample(text, "iot_subscriber_messages_received_total"), double(Count));
    QCOMPARE(metricSample(text, "iot_subscriber_dead_letters_total{reason=\"invalid_json\"}"), 0.0);
    QCOMPARE(metricSample(text, "iot_subscriber_messages_dropped_total{reason=\"shutdown_timeout\"}"), 0.0);
    QCOMPARE(metricSample(text, "iot_subscriber_buffer_messages"), 0.0);
    QCOMPARE(metricSample(text, "iot_subscriber_connection_up{target=\"mqtt\"}"), 1.0);
    QCOMPARE(metricSample(text, "iot_subscriber_connection_up{target=\"database\"}"), 1.0);
    QCOMPARE(metricSample(text, "iot_subscriber_reconnects_total{target=\"mqtt\"}"), 0.0);
    QCOMPARE(metricSample(text, "iot_subscriber_receive_to_commit_seconds_count"), double(Count));
    QVERIFY(metricSample(text, "iot_subscriber_batch_rows_count") >= 1);
    QVERIFY(metricSample(text, "iot_subscriber_write_duration_seconds_count") >= 1);
    QVERIFY(metricSample(text, "iot_subscriber_spool_bytes") >= 0);
    QVERIFY(text.contains("iot_subscriber_build_info{version=\""));
    QVERIFY2(!text.contains("topic"), "no label may grow with the number of topics");

    QProcess promtool;
    promtool.setProcessChannelMode(QProcess::MergedChannels);
    promtool.start(QStringLiteral("promtool"), {QStringLiteral("check"), QStringLiteral("metrics")});
    QVERIFY(promtool.waitForStarted());
    promtool.write(text);
    promtool.closeWriteChannel();
    QVERIFY(promtool.waitForFinished(20000));
    const QByteArray lint = promtool.readAll();
    QVERIFY2(promtool.exitCode() == 0 && lint.trimmed().isEmpty(), lint.constData());

    // The real server scraped us and stores what we said.
    QTRY_COMPARE_WITH_TIMEOUT(prometheus.queryValue(QStringLiteral("iot_subscriber_rows_written_total")),
                              QString::number(Count), 20000);
    QCOMPARE(prometheus.queryValue(QStringLiteral("up{job=\"iot-subscriber\"}")), QStringLiteral("1"));
    QCOMPARE(prometheus.queryValue(QStringLiteral("iot_subscriber_receive_to_commit_seconds_count")),
             QString::number(Count));
    // Every row committed within a minute of arriving: the histogram answers quantile queries.
    const double p99 = prometheus.queryValue(QStringLiteral(
        "histogram_quantile(0.99, iot_subscriber_receive_to_commit_seconds_bucket)")).toDouble();
    QVERIFY2(p99 > 0 && p99 <= 60, qPrintable(QString::number(p99)));

    // Spans: one per committed transaction, rows adding up to what was stored, all valid OTLP JSON.
    QTRY_COMPARE_WITH_TIMEOUT(committedRows(receiver), qint64(Count), 10000);
    for (const OtlpReceiver::Request &r : receiver.requests()) {
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path, QByteArray("/v1/traces"));
        QCOMPARE(r.contentType, QByteArray("application/json"));
        const QStringList problems = OtlpReceiver::problems(r.body);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
        QVERIFY(r.body.contains(R"({"key":"service.name","value":{"stringValue":"obs-test"}})"));
    }
    const QJsonObject span = spansNamed(receiver, QStringLiteral("batch write")).constFirst();
    QCOMPARE(attribute(span, QStringLiteral("table")).toString(), QStringLiteral("readings"));
    QCOMPARE(attribute(span, QStringLiteral("db.system")).toString(), QStringLiteral("postgresql"));
    QCOMPARE(attribute(span, QStringLiteral("attempt")).toString(), QStringLiteral("1"));
    QCOMPARE(attribute(span, QStringLiteral("dead_letters")).toString(), QStringLiteral("0"));
    QVERIFY(attribute(span, QStringLiteral("bytes")).toString().toLongLong() > 0);
    QCOMPARE(span.value(QStringLiteral("status")).toObject().value(QStringLiteral("code")).toInt(), 1);
    QTRY_VERIFY(scrapeMetric(port, "iot_subscriber_trace_spans_exported_total") >= 1);
    QCOMPARE(scrapeMetric(port, "iot_subscriber_trace_export_failures_total"), 0.0);

    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
    prometheus.stop();
}

void TstObservability::readinessFollowsBrokerAndDatabase()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obs-ready-XXXXXX"));
    const QString brokerDir = dir.filePath(QStringLiteral("broker"));
    const int brokerPort = freePort();
    QString out;
    QVERIFY2(srv.startBroker(brokerDir, brokerPort, &out), qPrintable(out));
    const QString tag = QStringLiteral("obs_ready");
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.mqttPort = brokerPort;
    setup.prometheusPort = freePort();
    setup.extraObservabilityKeys = QStringLiteral("trace_endpoint = \"%1\"\n").arg(QString::fromLatin1(receiver.url()));
    const auto port = static_cast<quint16>(setup.prometheusPort);
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    SubscriberProcess sub(dir.filePath(QStringLiteral("sub")));
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 200, 10000);

    // Broker gone: not ready, still alive.
    QVERIFY2(srv.stopBroker(brokerDir, &out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 503, 10000);
    HttpResult ready = httpGet(port, "/readyz");
    QCOMPARE(json(ready).value(QStringLiteral("status")).toString(), QStringLiteral("not ready"));
    QVERIFY2(reasons(ready).startsWith(QStringLiteral("mqtt ")), ready.body.constData());
    QVERIFY2(httpGet(port, "/healthz").status == 200, httpGet(port, "/healthz").body.constData());
    QCOMPARE(scrapeMetric(port, "iot_subscriber_connection_up{target=\"mqtt\"}"), 0.0);
    QVERIFY2(srv.startBroker(brokerDir, brokerPort, &out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 200, 15000);
    QTRY_COMPARE(scrapeMetric(port, "iot_subscriber_reconnects_total{target=\"mqtt\"}"), 1.0);
    QTRY_COMPARE_WITH_TIMEOUT(spansNamed(receiver, QStringLiteral("mqtt reconnect")).size(), 1, 10000);
    const QJsonObject mqttSpan = spansNamed(receiver, QStringLiteral("mqtt reconnect")).constFirst();
    QVERIFY(attribute(mqttSpan, QStringLiteral("attempts")).toString().toInt() >= 1);
    QCOMPARE(attribute(mqttSpan, QStringLiteral("target")).toString(), QStringLiteral("mqtt"));

    // Database gone: the outage shows at the next write, or at the writer's ping of an idle connection (after 5 s
    // without a write), whichever comes first.
    QVERIFY2(srv.stopPostgres(&out), qPrintable(out));
    QVERIFY(runSimulation(simulation(srv, tag, 20, 1, brokerPort)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 503, 15000);
    ready = httpGet(port, "/readyz");
    QVERIFY2(reasons(ready).contains(QStringLiteral("database ")), ready.body.constData());
    QVERIFY2(httpGet(port, "/healthz").status == 200, httpGet(port, "/healthz").body.constData());
    QCOMPARE(scrapeMetric(port, "iot_subscriber_connection_up{target=\"database\"}"), 0.0);
    QVERIFY2(srv.startPostgres(&out), qPrintable(out));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(port, "/readyz").status, 200, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(20), 20000);
    QTRY_COMPARE(scrapeMetric(port, "iot_subscriber_reconnects_total{target=\"database\"}"), 1.0);
    QTRY_COMPARE_WITH_TIMEOUT(spansNamed(receiver, QStringLiteral("database reconnect")).size(), 1, 10000);
    // The reconnect span says why the outage began, whichever noticed it. A failed write before the reconnect is an
    // error span with the database's message; there is none when the idle ping noticed the outage first (the
    // writer then waits for the reconnect instead of trying the batch), which a loaded machine makes likely.
    const QJsonObject dbSpan = spansNamed(receiver, QStringLiteral("database reconnect")).constFirst();
    QVERIFY2(!attribute(dbSpan, QStringLiteral("reason")).toString().isEmpty(),
             QJsonDocument(dbSpan).toJson().constData());
    for (const QJsonObject &s : spansNamed(receiver, QStringLiteral("batch write")))
        if (attribute(s, QStringLiteral("outcome")).toString() == QStringLiteral("retry")) {
            QCOMPARE(s.value(QStringLiteral("status")).toObject().value(QStringLiteral("code")).toInt(), 2);
            QVERIFY(!s.value(QStringLiteral("status")).toObject().value(QStringLiteral("message")).toString().isEmpty());
        }
    for (const OtlpReceiver::Request &r : receiver.requests())
        QVERIFY2(OtlpReceiver::problems(r.body).isEmpty(), qPrintable(OtlpReceiver::problems(r.body).join(u'\n')));

    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
    srv.stopBroker(brokerDir);
}

void TstObservability::deadCollectorCostsNothing()
{
    IOT_REQUIRE_SERVERS(srv);
    constexpr quint64 Count = 10000;
    QTemporaryDir dir(srv.tmp + QStringLiteral("/obs-dead-XXXXXX"));
    qint64 ms[2] = {};
    QString log;
    for (const bool tracing : {false, true}) {
        const QString tag = tracing ? QStringLiteral("obs_dead_collector") : QStringLiteral("obs_no_tracing");
        SubscriberSetup setup;
        setup.database = tag;
        setup.topic = tag + QStringLiteral("/#");
        setup.clientId = tag;
        setup.prometheusPort = freePort();
        if (tracing)   // a port nobody listens on: every export is refused
            setup.extraObservabilityKeys = QStringLiteral("trace_endpoint = \"http://127.0.0.1:%1/v1/traces\"\n")
                                               .arg(freePort());
        ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
        SubscriberProcess sub(dir.filePath(tag));
        QVERIFY(sub.start(subscriberConfig(srv, setup)));
        QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
        QVERIFY2(sub.waitForLog(QStringLiteral("database ready"), 15000), qPrintable(sub.log()));
        ms[tracing] = ingestMs(srv, probe, tag, Count);
        QVERIFY2(ms[tracing] > 0, qPrintable(sub.log().right(2000)));
        if (tracing) {
            const auto port = static_cast<quint16>(setup.prometheusPort);
            // Each flush with spans fails; more traffic, more failures, still one warning (a minute apart at most).
            QTRY_VERIFY_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_trace_export_failures_total") >= 1, 10000);
            for (int round = 2; round <= 3; ++round) {
                QVERIFY(runSimulation(simulation(srv, tag, 50, Count + round * 100)).allDelivered());
                QTRY_VERIFY_WITH_TIMEOUT(scrapeMetric(port, "iot_subscriber_trace_export_failures_total") >= round, 10000);
            }
            QVERIFY(scrapeMetric(port, "iot_subscriber_trace_spans_dropped_total") >= 1);
            QCOMPARE(scrapeMetric(port, "iot_subscriber_trace_spans_exported_total"), 0.0);
            QCOMPARE(httpGet(port, "/readyz").status, 200);
        }
        QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
        log = sub.log();
    }
    qInfo("%llu messages stored in %lld ms without tracing, %lld ms with a dead collector", Count, ms[0], ms[1]);
    QCOMPARE(log.count(QStringLiteral("trace export to")), 1);
    // Same order of time: the collector is off the ingest path (generous, as both runs are short and noisy).
    QVERIFY2(ms[1] <= 2 * ms[0] + 2000, qPrintable(QStringLiteral("%1 ms vs %2 ms").arg(ms[1]).arg(ms[0])));
}

QTEST_GUILESS_MAIN(TstObservability)
#include "tst_observability.moc"
