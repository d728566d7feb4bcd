// SPDX-License-Identifier: MIT
#include "logging/log.h"
#include "logging/logging.h"
#include "observability/spanqueue.h"
#include "observability/tracer.h"
#include "otlpreceiver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <thread>

using namespace iot;
using iot::test::OtlpReceiver;

namespace {

TraceSpan span(const QString &name)
{
    return TraceSpan::root(name, TraceSpan::Kind::Internal, 1'700'000'000'000'000, 1'700'000'000'100'000);
}

QUrl deadUrl()
{
    // A port that was free a moment ago: connections are refused at once.
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return QUrl(QStringLiteral("http://127.0.0.1:%1/v1/traces").arg(s.serverPort()));
}

} // namespace

/// The span queue and the OTLP/HTTP exporter against a local receiver: batching, bounds, failure accounting and
/// the rate-limited warning. Exporter and receiver live on the test's thread; spans are also recorded from others.
class TstTracer final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void queueDropsOldest_data();
    void queueDropsOldest();
    void exportsOnTimer();
    void fullBatchGoesOutAtOnce();
    void recordsFromManyThreads();
    void collectorErrorIsCounted();
    void deadCollectorWarnsOnce();
    void flushAndWaitSendsTheRest();
};

void TstTracer::cleanup()
{
    Logging::installDefault();
}

void TstTracer::queueDropsOldest_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("pushed");
    QTest::addColumn<int>("dropped");
    QTest::addColumn<QString>("firstKept");
    QTest::newRow("below capacity") << 4 << 3 << 0 << QStringLiteral("s1");
    QTest::newRow("at capacity") << 4 << 4 << 0 << QStringLiteral("s1");
    QTest::newRow("two over") << 4 << 6 << 2 << QStringLiteral("s3");
    QTest::newRow("capacity one") << 1 << 5 << 4 << QStringLiteral("s5");
}

void TstTracer::queueDropsOldest()
{
    QFETCH(int, capacity);
    QFETCH(int, pushed);
    QFETCH(int, dropped);
    QFETCH(QString, firstKept);
    SpanQueue q(std::size_t(capacity), 2);
    int batches = 0;
    q.setBatchReadyCallback([&] { ++batches; });
    for (int i = 1; i <= pushed; ++i)
        q.push(span(QStringLiteral("s%1").arg(i)));
    QCOMPARE(q.dropped(), std::uint64_t(dropped));
    QCOMPARE(q.size(), std::size_t(std::min(capacity, pushed)));
    QCOMPARE(batches, pushed >= int(q.batchSize()) ? 1 : 0);   // once per batch, until it is taken
    const std::vector<TraceSpan> batch = q.takeBatch();
    QCOMPARE(batch.front().name, firstKept);
    QVERIFY(batch.size() <= q.batchSize());
}

void TstTracer::exportsOnTimer()
{
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    Tracer tracer(QUrl(QString::fromLatin1(receiver.url())), QStringLiteral("unit-test"));
    tracer.setFlushIntervalMs(100);
    for (int i = 0; i < 3; ++i)
        tracer.record(span(QStringLiteral("span %1").arg(i)));
    QTRY_COMPARE(receiver.requests().size(), 1);
    const OtlpReceiver::Request r = receiver.requests().constFirst();
    QCOMPARE(r.method, QByteArray("POST"));
    QCOMPARE(r.path, QByteArray("/v1/traces"));
    QCOMPARE(r.contentType, QByteArray("application/json"));
    QCOMPARE(OtlpReceiver::problems(r.body), QStringList());
    QCOMPARE(receiver.spans().size(), 3);
    QTRY_COMPARE(tracer.stats().exported, std::uint64_t(3));
    QCOMPARE(tracer.stats().failures, std::uint64_t(0));
}

void TstTracer::fullBatchGoesOutAtOnce()
{
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    Tracer tracer(QUrl(QString::fromLatin1(receiver.url())), QStringLiteral("unit-test"));
    tracer.setFlushIntervalMs(600000);   // only a full batch can trigger an export
    const std::size_t batch = tracer.queue()->batchSize();
    for (std::size_t i = 0; i < batch * 2 + 1; ++i)
        tracer.record(span(QStringLiteral("s")));
    QTRY_COMPARE(tracer.stats().exported, std::uint64_t(batch * 2));
    QCOMPARE(receiver.requests().size(), 2);
    QCOMPARE(tracer.queue()->size(), std::size_t(1));
}

void TstTracer::recordsFromManyThreads()
{
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    Tracer tracer(QUrl(QString::fromLatin1(receiver.url())), QStringLiteral("unit-test"));
    tracer.setFlushIntervalMs(50);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&tracer] {
            for (int i = 0; i < 500; ++i)
                tracer.record(span(QStringLiteral("threaded")));
        });
    for (std::thread &t : threads)
        t.join();
    QTRY_COMPARE_WITH_TIMEOUT(tracer.stats().exported + tracer.stats().dropped, std::uint64_t(2000), 10000);
    QCOMPARE(tracer.stats().dropped, std::uint64_t(0));
    QCOMPARE(receiver.spans().size(), 2000);
}

void TstTracer::collectorErrorIsCounted()
{
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    receiver.setStatus(503);
    Tracer tracer(QUrl(QString::fromLatin1(receiver.url())), QStringLiteral("unit-test"));
    tracer.setFlushIntervalMs(50);
    QSignalSpy finished(&tracer, &Tracer::exportFinished);
    tracer.record(span(QStringLiteral("a")));
    tracer.record(span(QStringLiteral("b")));
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QCOMPARE(tracer.stats().failures, std::uint64_t(1));
    QCOMPARE(tracer.stats().dropped, std::uint64_t(2));
    QCOMPARE(tracer.stats().exported, std::uint64_t(0));
    // The collector comes back: export resumes.
    receiver.setStatus(200);
    tracer.record(span(QStringLiteral("c")));
    QTRY_COMPARE(tracer.stats().exported, std::uint64_t(1));
}

void TstTracer::deadCollectorWarnsOnce()
{
    QTemporaryDir dir;
    LogConfig config;
    config.consoleEnabled = false;
    config.fileEnabled = true;
    config.filePath = dir.filePath(QStringLiteral("trace.log"));
    config.format = LogConfig::Format::Json;
    QVERIFY(Logging::install(config).ok());

    Tracer tracer(deadUrl(), QStringLiteral("unit-test"));
    tracer.setFlushIntervalMs(20);
    QSignalSpy finished(&tracer, &Tracer::exportFinished);
    // Keep spans coming so every flush has something to (fail to) send.
    for (int round = 0; round < 5; ++round) {
        tracer.record(span(QStringLiteral("lost")));
        QTRY_COMPARE(finished.size(), round + 1);
    }
    QCOMPARE(tracer.stats().failures, std::uint64_t(5));
    QCOMPARE(tracer.stats().dropped, std::uint64_t(5));

    Logging::flush();
    QFile file(config.filePath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QJsonObject> warnings;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QStringLiteral("logger")).toString() == QStringLiteral("trace")
            && o.value(QStringLiteral("level")).toString() == QStringLiteral("warn"))
            warnings << o;
    }
    QCOMPARE(warnings.size(), 1);
    const QJsonObject w = warnings.constFirst();
    QVERIFY2(w.value(QStringLiteral("msg")).toString().contains(QStringLiteral("trace export to")),
             qPrintable(w.value(QStringLiteral("msg")).toString()));
    QVERIFY(w.value(QStringLiteral("endpoint")).toString().endsWith(QStringLiteral("/v1/traces")));
    QVERIFY(!w.value(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(w.value(QStringLiteral("failures")).toInt(), 1);
}

void TstTracer::flushAndWaitSendsTheRest()
{
    OtlpReceiver receiver;
    QVERIFY(receiver.listen());
    auto tracer = std::make_unique<Tracer>(QUrl(QString::fromLatin1(receiver.url())), QStringLiteral("unit-test"));
    tracer->setFlushIntervalMs(600000);
    for (int i = 0; i < 700; ++i)   // more than one batch
        tracer->record(span(QStringLiteral("last words")));
    tracer->flushAndWait(5000);
    QCOMPARE(tracer->stats().exported, std::uint64_t(700));
    QCOMPARE(receiver.spans().size(), 700);
    // Against a dead collector it returns at once.
    Tracer dead(deadUrl(), QStringLiteral("unit-test"));
    dead.record(span(QStringLiteral("x")));
    dead.flushAndWait(5000);
    dead.record(span(QStringLiteral("y")));
    QElapsedTimer clock;
    clock.start();
    dead.flushAndWait(5000);
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
}

QTEST_GUILESS_MAIN(TstTracer)
#include "tst_tracer.moc"
