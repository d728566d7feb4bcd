// SPDX-License-Identifier: MIT
#include "observability/metrics.h"
#include "pipeline/batch.h"

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <cmath>

using namespace iot;

namespace {

constexpr qint64 EndUs = 1'700'000'000'000'000;

/// "name{labels}" → value, from a text exposition.
QMap<QString, double> samples(const QByteArray &text)
{
    QMap<QString, double> out;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        out.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return out;
}

EngineSnapshot busySnapshot()
{
    EngineSnapshot s;
    s.startedAtUs = EndUs;
    s.received = 1000;
    s.replayed = 7;
    s.written = 950;
    s.deadLettered = 30;
    s.deadLetteredBy[std::size_t(Reasons::DeadLetter::InvalidJson)] = 25;
    s.deadLetteredBy[std::size_t(Reasons::DeadLetter::Mapping)] = 5;
    s.dropped = 2;
    s.droppedBy[std::size_t(Reasons::Drop::ShutdownTimeout)] = 2;
    s.deduplicated = 7;
    s.inFlight = 25;
    s.maxBuffered = 200000;
    s.bufferedBytes = 3 << 20;
    s.maxBufferedBytes = 64 << 20;
    s.mqttReconnects = 3;
    s.dbReconnects = 1;
    s.writeFailures = 4;
    s.spoolBytes = 4096;
    s.spoolWriteErrors = 12;
    s.spoolSyncErrors = 2;
    s.spoolState = SpoolState::DiskFull;
    s.readingPaused = true;
    s.mqtt.state = MessageSource::State::Connected;
    s.db.state = BatchWriter::State::Retrying;
    return s;
}

TransactionReport committed(const Batch &batch, const std::vector<std::uint32_t> &rows, std::size_t dead)
{
    TransactionReport r;
    r.batch = &batch;
    r.rows = &rows;
    r.deadLetters = dead;
    r.startUs = EndUs - 20'000;
    r.endUs = EndUs;
    r.table = QStringLiteral("readings");
    return r;
}

} // namespace

/// The Prometheus metrics: counters and gauges from snapshots, histograms from write transactions, and an
/// exposition that promtool accepts. Pure logic on one thread (prometheus-cpp needs no event loop).
class TstMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fromSnapshot_data();
    void fromSnapshot();
    void countersOnlyGrow();
    void histograms_data();
    void histograms();
    void failedWritesOnlyTime();
    void promtoolAccepts();

private:
    QByteArray populated() const;
};

void TstMetrics::fromSnapshot_data()
{
    QTest::addColumn<QString>("series");
    QTest::addColumn<double>("value");
    QTest::newRow("received") << QStringLiteral("iot_subscriber_messages_received_total") << 1000.0;
    QTest::newRow("replayed") << QStringLiteral("iot_subscriber_messages_replayed_total") << 7.0;
    QTest::newRow("written") << QStringLiteral("iot_subscriber_rows_written_total") << 950.0;
    QTest::newRow("dead letters, invalid JSON")
        << QStringLiteral("iot_subscriber_dead_letters_total{reason=\"invalid_json\"}") << 25.0;
    QTest::newRow("dead letters, mapping")
        << QStringLiteral("iot_subscriber_dead_letters_total{reason=\"mapping\"}") << 5.0;
    QTest::newRow("dead letters, none yet")
        << QStringLiteral("iot_subscriber_dead_letters_total{reason=\"db_rejected\"}") << 0.0;
    QTest::newRow("dropped") << QStringLiteral("iot_subscriber_messages_dropped_total{reason=\"shutdown_timeout\"}")
                             << 2.0;
    QTest::newRow("deduplicated") << QStringLiteral("iot_subscriber_rows_deduplicated_total") << 7.0;
    QTest::newRow("mqtt reconnects") << QStringLiteral("iot_subscriber_reconnects_total{target=\"mqtt\"}") << 3.0;
    QTest::newRow("db reconnects") << QStringLiteral("iot_subscriber_reconnects_total{target=\"database\"}") << 1.0;
    QTest::newRow("write failures") << QStringLiteral("iot_subscriber_write_failures_total") << 4.0;
    QTest::newRow("buffer") << QStringLiteral("iot_subscriber_buffer_messages") << 25.0;
    QTest::newRow("buffer limit") << QStringLiteral("iot_subscriber_buffer_limit_messages") << 200000.0;
    QTest::newRow("buffer bytes") << QStringLiteral("iot_subscriber_buffer_bytes") << 3145728.0;
    QTest::newRow("buffer limit bytes") << QStringLiteral("iot_subscriber_buffer_limit_bytes") << 67108864.0;
    QTest::newRow("spool") << QStringLiteral("iot_subscriber_spool_bytes") << 4096.0;
    QTest::newRow("paused") << QStringLiteral("iot_subscriber_reading_paused") << 1.0;
    QTest::newRow("spool disk full") << QStringLiteral("iot_subscriber_spool_state{state=\"disk_full\"}") << 1.0;
    QTest::newRow("spool not ok") << QStringLiteral("iot_subscriber_spool_state{state=\"ok\"}") << 0.0;
    QTest::newRow("spool no sync error") << QStringLiteral("iot_subscriber_spool_state{state=\"sync_error\"}") << 0.0;
    QTest::newRow("spool write errors") << QStringLiteral("iot_subscriber_spool_write_errors_total") << 12.0;
    QTest::newRow("spool sync errors") << QStringLiteral("iot_subscriber_spool_sync_errors_total") << 2.0;
    QTest::newRow("mqtt up") << QStringLiteral("iot_subscriber_connection_up{target=\"mqtt\"}") << 1.0;
    QTest::newRow("database down") << QStringLiteral("iot_subscriber_connection_up{target=\"database\"}") << 0.0;
    QTest::newRow("start time") << QStringLiteral("iot_subscriber_start_time_seconds") << 1.7e9;
    QTest::newRow("build info") << QStringLiteral("iot_subscriber_build_info{version=\"9.8.7\"}") << 1.0;
    QTest::newRow("spans exported") << QStringLiteral("iot_subscriber_trace_spans_exported_total") << 11.0;
    QTest::newRow("spans dropped") << QStringLiteral("iot_subscriber_trace_spans_dropped_total") << 5.0;
    QTest::newRow("export failures") << QStringLiteral("iot_subscriber_trace_export_failures_total") << 2.0;
}

void TstMetrics::fromSnapshot()
{
    QFETCH(QString, series);
    QFETCH(double, value);
    Metrics m(QStringLiteral("9.8.7"));
    m.update(busySnapshot());
    m.updateTracing(11, 5, 2);
    const auto s = samples(m.exposition());
    QVERIFY2(s.contains(series), qPrintable(QStringList(s.keys()).join(u'\n')));
    QCOMPARE(s.value(series), value);
}

void TstMetrics::countersOnlyGrow()
{
    Metrics m(QStringLiteral("1"));
    EngineSnapshot snap = busySnapshot();
    m.update(snap);
    snap.written = 900;   // a lower value never takes a counter back
    snap.inFlight = 3;    // gauges follow both ways
    m.update(snap);
    auto s = samples(m.exposition());
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_rows_written_total")), 950.0);
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_buffer_messages")), 3.0);
    snap.written = 1950;
    m.update(snap);
    s = samples(m.exposition());
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_rows_written_total")), 1950.0);
}

QByteArray TstMetrics::populated() const
{
    static const QByteArray text = [] {
        Metrics m(QStringLiteral("0.1.0"));
        m.update(busySnapshot());
        Batch batch;
        // Receive-to-commit latencies of 5 ms, 200 ms, 3 s and 1000 s (past the last bucket).
        for (const qint64 ago : {5'000LL, 200'000LL, 3'000'000LL, 1'000'000'000LL})
            batch.append("sensors/a", "{}", EndUs - ago);
        const std::vector<std::uint32_t> rows{0, 1, 2, 3};
        m.observe(committed(batch, rows, 1));
        return m.exposition();
    }();
    return text;
}

void TstMetrics::histograms_data()
{
    QTest::addColumn<QString>("series");
    QTest::addColumn<double>("value");
    const auto latency = [](const char *le) {
        return QStringLiteral("iot_subscriber_receive_to_commit_seconds_bucket{le=\"%1\"}").arg(QLatin1String(le));
    };
    QTest::newRow("latency <= 10 ms") << latency("0.01") << 1.0;
    QTest::newRow("latency <= 250 ms") << latency("0.25") << 2.0;
    QTest::newRow("latency <= 5 s") << latency("5") << 3.0;
    QTest::newRow("latency <= 900 s") << latency("900") << 3.0;
    QTest::newRow("latency +Inf") << latency("+Inf") << 4.0;
    QTest::newRow("latency count") << QStringLiteral("iot_subscriber_receive_to_commit_seconds_count") << 4.0;
    QTest::newRow("latency sum") << QStringLiteral("iot_subscriber_receive_to_commit_seconds_sum") << 1003.205;
    QTest::newRow("rows <= 1") << QStringLiteral("iot_subscriber_batch_rows_bucket{le=\"1\"}") << 0.0;
    QTest::newRow("rows <= 5: four readings and a dead letter")
        << QStringLiteral("iot_subscriber_batch_rows_bucket{le=\"5\"}") << 1.0;
    QTest::newRow("rows sum") << QStringLiteral("iot_subscriber_batch_rows_sum") << 5.0;
    QTest::newRow("write <= 10 ms") << QStringLiteral("iot_subscriber_write_duration_seconds_bucket{le=\"0.01\"}")
                                    << 0.0;
    QTest::newRow("write <= 25 ms") << QStringLiteral("iot_subscriber_write_duration_seconds_bucket{le=\"0.025\"}")
                                    << 1.0;
    QTest::newRow("write sum") << QStringLiteral("iot_subscriber_write_duration_seconds_sum") << 0.02;
}

void TstMetrics::histograms()
{
    QFETCH(QString, series);
    QFETCH(double, value);
    const auto s = samples(populated());
    QVERIFY2(s.contains(series), qPrintable(QStringList(s.keys()).join(u'\n')));
    QVERIFY2(std::abs(s.value(series) - value) < 1e-9, qPrintable(QString::number(s.value(series), 'g', 12)));
}

void TstMetrics::failedWritesOnlyTime()
{
    Metrics m(QStringLiteral("1"));
    Batch batch;
    batch.append("sensors/a", "{}", EndUs - 1000);
    const std::vector<std::uint32_t> rows{0};
    TransactionReport r = committed(batch, rows, 0);
    r.outcome = TransactionReport::Outcome::Retry;
    m.observe(r);
    r.outcome = TransactionReport::Outcome::DataError;
    m.observe(r);
    const auto s = samples(m.exposition());
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_write_duration_seconds_count")), 2.0);
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_batch_rows_count")), 0.0);
    QCOMPARE(s.value(QStringLiteral("iot_subscriber_receive_to_commit_seconds_count")), 0.0);
}

void TstMetrics::promtoolAccepts()
{
    const QByteArray text = populated();
    // No label may grow with the number of topics.
    QVERIFY(!text.contains("topic"));
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty()) {
        if (qEnvironmentVariable("IOT_TEST_REQUIRE_SERVERS") == QLatin1String("1"))
            QFAIL("promtool missing: scripts/deps.sh --test installs the prometheus package");
        QSKIP("promtool not installed");
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    QVERIFY(p.waitForStarted());
    p.write(text);
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(20000));
    const QByteArray out = p.readAll();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, out.constData());
    QVERIFY2(out.trimmed().isEmpty(), out.constData());
}

QTEST_APPLESS_MAIN(TstMetrics)
#include "tst_metrics.moc"
