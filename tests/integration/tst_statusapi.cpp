// SPDX-License-Identifier: MIT
// The status API (/api/v1/) of the real binary against the real broker and PostgreSQL: every endpoint's JSON field
// by field after a known stream, topics returned incrementally, dead letters and the connection timeline, the token
// rule, and the Server-Sent-Events stream: a snapshot within 0.5 s of a change, and a watcher that never reads is cut
// while ingestion goes on.
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "sseclient.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

using namespace iot;
using namespace iot::test;

namespace {

QString uniqueTag(const char *what)
{
    return QStringLiteral("api-%1-%2").arg(QLatin1String(what)).arg(QRandomGenerator::global()->generate());
}

QJsonObject getJson(quint16 port, const QByteArray &path, const QByteArray &headers = {}, int *status = nullptr)
{
    const HttpResult r = httpGet(port, path, 5000, headers);
    if (status)
        *status = r.status;
    return QJsonDocument::fromJson(r.body).object();
}

qint64 num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger(-1);
}

SubscriberSetup setupFor(const Servers &srv, const QString &tag, int port)
{
    SubscriberSetup setup;
    setup.database = srv.pgDatabase;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.prometheusPort = port;
    return setup;
}

/// A watcher that never reads, with the smallest receive window the kernel allows: what a hung dashboard looks like.
int stalledWatcher(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int small = 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    const QByteArray request = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.constData(), size_t(request.size())) != request.size()) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

class TstStatusApi final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyEndpointAfterAKnownStream();
    void tokenGuardsEveryRoute();
    void streamFollowsChangesAndCutsAStalledWatcher();
};

void TstStatusApi::everyEndpointAfterAKnownStream()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir;
    const QString tag = uniqueTag("fields");
    const quint16 port = quint16(freePort());
    SubscriberProcess sub(dir.path());
    QVERIFY(sub.start(subscriberConfig(srv, setupFor(srv, tag, port))));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    constexpr int Count = 3000;
    constexpr int Sensors = 10;
    const SimStats stats = runSimulation(simulation(srv, tag, Count, 0, 0, Sensors));
    QVERIFY2(stats.allDelivered(), qPrintable(stats.error));
    QJsonObject s;
    QTRY_VERIFY_WITH_TIMEOUT((s = getJson(port, "/api/v1/status"), num(s, "written") == Count), 30000);

    // The counters, named as CounterTable names them, and the balance closed.
    QCOMPARE(num(s, "received"), Count);
    QCOMPARE(num(s, "written"), Count);
    QCOMPARE(num(s, "replayed"), 0);
    QCOMPARE(num(s, "deduplicated"), 0);
    QCOMPARE(num(s, "dead_lettered"), 0);
    QCOMPARE(num(s, "dropped"), 0);
    QCOMPARE(num(s, "in_flight"), 0);
    QVERIFY(num(s, "transactions") >= 1);
    QCOMPARE(s.value(QStringLiteral("api")).toInt(), 1);
    QCOMPARE(s.value(QStringLiteral("instance")).toString(), QStringLiteral("iot-subscriber"));
    QCOMPARE(s.value(QStringLiteral("version")).toString(), QStringLiteral(IOT_VERSION));
    QVERIFY(!s.value(QStringLiteral("host")).toString().isEmpty());
    QVERIFY(s.value(QStringLiteral("uptime_sec")).toDouble() > 0);
    QVERIFY(s.value(QStringLiteral("taken_at")).toString().endsWith(u'Z'));
    QVERIFY(s.value(QStringLiteral("started_at")).toString().endsWith(u'Z'));
    QVERIFY(s.value(QStringLiteral("last_commit")).toString().endsWith(u'Z'));
    for (const char *side : {"mqtt", "database"}) {
        const QJsonObject o = s.value(QLatin1String(side)).toObject();
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("connected"));
        QVERIFY2(o.value(QStringLiteral("since")).toString().endsWith(u'Z'), side);
        QVERIFY2(o.value(QStringLiteral("detail")).toString().startsWith(QStringLiteral("connected")), side);
        // The structured fields the detail is made of, for a watcher to word it itself.
        const QString where = o.value(QLatin1String(qstrcmp(side, "mqtt") == 0 ? "endpoint" : "target")).toString();
        QVERIFY2(o.value(QStringLiteral("detail")).toString().endsWith(where) && !where.isEmpty(), side);
        QCOMPARE(o.value(QStringLiteral("cause")).toString(), QStringLiteral("none"));
        QCOMPARE(num(o, "attempt"), 0);
        QCOMPARE(o.value(QStringLiteral("retry_delay_ms")).toDouble(-1), 0.0);
        QVERIFY2(o.value(QStringLiteral("message")).isString(), side);
    }
    const QJsonObject buffer = s.value(QStringLiteral("buffer")).toObject();
    QCOMPARE(num(buffer, "messages"), 0);
    QCOMPARE(num(buffer, "max_messages"), 50000);
    QCOMPARE(num(buffer, "queued"), 0);
    QCOMPARE(num(buffer, "max_bytes"), 64LL << 20);
    QCOMPARE(buffer.value(QStringLiteral("fill")).toDouble(-1), 0.0);
    QCOMPARE(buffer.value(QStringLiteral("reading_paused")).toBool(true), false);
    const QJsonObject spool = s.value(QStringLiteral("spool")).toObject();
    QCOMPARE(spool.value(QStringLiteral("enabled")).toBool(), true);
    QCOMPARE(spool.value(QStringLiteral("state")).toString(), QStringLiteral("ok"));
    QVERIFY(num(spool, "max_bytes") > 0);
    const QJsonObject latency = s.value(QStringLiteral("commit_latency_ms")).toObject();
    QCOMPARE(num(latency, "rows"), Count);
    const double p50 = latency.value(QStringLiteral("p50")).toDouble(-1);
    const double p99 = latency.value(QStringLiteral("p99")).toDouble(-1);
    QVERIFY2(p50 > 0 && p50 <= p99 && p99 < 60000, qPrintable(QStringLiteral("%1 %2").arg(p50).arg(p99)));
    QVERIFY(latency.value(QStringLiteral("max")).toDouble(-1) >= p99);
    QCOMPARE(s.value(QStringLiteral("health")).toObject().value(QStringLiteral("status")).toString(),
             QStringLiteral("ok"));
    QCOMPARE(num(s.value(QStringLiteral("topics")).toObject(), "count"), Sensors);
    QCOMPARE(num(s.value(QStringLiteral("dead_lettered_by")).toObject(), "invalid_json"), 0);
    // The config summary names the setup, with the database password masked, never shown.
    const QJsonObject config = s.value(QStringLiteral("config")).toObject();
    QCOMPARE(config.value(QStringLiteral("mqtt")).toObject().value(QStringLiteral("port")).toInt(), srv.mqttPort);
    const QJsonObject db = config.value(QStringLiteral("database")).toObject();
    QCOMPARE(db.value(QStringLiteral("driver")).toString(), QStringLiteral("postgresql"));
    QCOMPARE(db.value(QStringLiteral("name")).toString(), srv.pgDatabase);
    if (!srv.pgPassword.isEmpty()) {
        QCOMPARE(db.value(QStringLiteral("password")).toString(), QStringLiteral("********"));
        QVERIFY(!httpGet(port, "/api/v1/status").body.contains(srv.pgPassword.toUtf8()));
    }

    // /metrics says the same.
    const QByteArray metrics = httpGet(port, "/metrics").body;
    const QByteArray count = ' ' + QByteArray::number(Count) + '\n';
    QVERIFY(metrics.contains(QByteArray("iot_subscriber_messages_received_total" + count)));
    QVERIFY(metrics.contains(QByteArray("iot_subscriber_rows_written_total" + count)));

    // Topics: all at first, then only what changed.
    QJsonObject t = getJson(port, "/api/v1/topics");
    QJsonArray topics = t.value(QStringLiteral("topics")).toArray();
    QCOMPARE(topics.size(), Sensors);
    QCOMPARE(num(t, "topic_count"), Sensors);
    qint64 sum = 0;
    QSet<QString> names;
    for (const QJsonValue &v : std::as_const(topics)) {
        const QJsonObject o = v.toObject();
        sum += num(o, "count");
        names.insert(o.value(QStringLiteral("topic")).toString());
        QVERIFY(o.value(QStringLiteral("topic")).toString().startsWith(tag + u'/'));
        QVERIFY(o.value(QStringLiteral("last_seen")).toString().endsWith(u'Z'));
        QVERIFY(num(o, "payload_size") > 0);
        QVERIFY(o.value(QStringLiteral("payload")).toString().startsWith(u'{'));
    }
    QCOMPARE(sum, Count);
    const qint64 version = num(t, "version");
    QVERIFY(version > 0);
    t = getJson(port, "/api/v1/topics?since=" + QByteArray::number(version));
    QCOMPARE(t.value(QStringLiteral("topics")).toArray().size(), 0);
    QCOMPARE(num(t, "version"), version);
    QVERIFY(runSimulation(simulation(srv, tag, 50, 0, 0, 1)).allDelivered());
    QTRY_VERIFY_WITH_TIMEOUT(num(getJson(port, "/api/v1/status"), "written") == Count + 50, 20000);
    t = getJson(port, "/api/v1/topics?since=" + QByteArray::number(version));
    topics = t.value(QStringLiteral("topics")).toArray();
    QCOMPARE(topics.size(), 1);
    QVERIFY(names.contains(topics[0].toObject().value(QStringLiteral("topic")).toString()));
    QVERIFY(num(t, "version") > version);
    int status = 0;
    getJson(port, "/api/v1/topics?since=x", {}, &status);
    QCOMPARE(status, 400);

    // Dead letters: two truncated payloads, with reason, topic and the payload's beginning.
    SimOptions bad = simulation(srv, tag + QStringLiteral("/bad"), 2, 0, 0, 1);
    bad.invalidEvery = 1;
    QVERIFY(runSimulation(bad).allDelivered());
    QJsonObject dl;
    QTRY_VERIFY_WITH_TIMEOUT((dl = getJson(port, "/api/v1/dead-letters?after=0"),
                              dl.value(QStringLiteral("dead_letters")).toArray().size() == 2), 20000);
    QCOMPARE(num(dl, "last_id"), 2);
    const QJsonObject first = dl.value(QStringLiteral("dead_letters")).toArray()[0].toObject();
    QCOMPARE(num(first, "id"), 1);
    QVERIFY(first.value(QStringLiteral("topic")).toString().startsWith(tag + QStringLiteral("/bad/")));
    QVERIFY2(!first.value(QStringLiteral("reason")).toString().isEmpty(), QJsonDocument(first).toJson().constData());
    QVERIFY(first.value(QStringLiteral("payload_preview")).toString().startsWith(u'{'));
    QVERIFY(first.value(QStringLiteral("received_at")).toString().endsWith(u'Z'));
    dl = getJson(port, "/api/v1/dead-letters?after=1&limit=5");
    QCOMPARE(dl.value(QStringLiteral("dead_letters")).toArray().size(), 1);
    QCOMPARE(num(dl.value(QStringLiteral("dead_letters")).toArray()[0].toObject(), "id"), 2);
    QCOMPARE(getJson(port, "/api/v1/dead-letters?after=0&limit=1").value(QStringLiteral("dead_letters")).toArray().size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(num(getJson(port, "/api/v1/status"), "dead_lettered"), 2, 10000);

    // Events: the connection timeline from the start, both sides reaching "connected".
    const QJsonObject ev = getJson(port, "/api/v1/events?after=0");
    const QJsonArray events = ev.value(QStringLiteral("events")).toArray();
    QVERIFY(events.size() >= 2);
    bool mqttUp = false, dbUp = false;
    qint64 lastId = 0;
    for (const QJsonValue &v : events) {
        const QJsonObject e = v.toObject();
        QVERIFY(num(e, "id") > lastId);
        lastId = num(e, "id");
        QVERIFY(e.value(QStringLiteral("time")).toString().endsWith(u'Z'));
        const bool connected = e.value(QStringLiteral("state")).toString() == QStringLiteral("connected");
        mqttUp = mqttUp || (connected && e.value(QStringLiteral("source")).toString() == QStringLiteral("mqtt"));
        dbUp = dbUp || (connected && e.value(QStringLiteral("source")).toString() == QStringLiteral("database"));
    }
    QVERIFY2(mqttUp && dbUp, ev.value(QStringLiteral("events")).toVariant().toString().toUtf8());
    QCOMPARE(num(ev, "last_id"), lastId);
    QCOMPARE(getJson(port, "/api/v1/events?after=" + QByteArray::number(lastId))
                 .value(QStringLiteral("events")).toArray().size(), 0);
    QCOMPARE(httpGet(port, "/api/v1/nothing").status, 404);

    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

void TstStatusApi::tokenGuardsEveryRoute()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir;
    const QString tag = uniqueTag("token");
    const quint16 port = quint16(freePort());
    const QByteArray token = "api-token-" + QByteArray::number(QRandomGenerator::global()->generate64());
    QFile file(dir.filePath(QStringLiteral("token")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(token + '\n');
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    SubscriberSetup setup = setupFor(srv, tag, port);
    setup.extraObservabilityKeys = QStringLiteral("auth_token_file = \"%1\"\n").arg(file.fileName());
    SubscriberProcess sub(dir.path());
    QVERIFY(sub.start(subscriberConfig(srv, setup)));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    const QByteArray good = "Authorization: Bearer " + token + "\r\n";
    const QByteArray wrong = "Authorization: Bearer " + token + "x\r\n";
    for (const QByteArray path : {"/api/v1/status", "/api/v1/topics?since=0", "/api/v1/dead-letters?after=0",
                                  "/api/v1/events?after=0", "/api/v1/stream"}) {
        QCOMPARE(httpGet(port, path, 3000).status, 401);
        const HttpResult w = httpGet(port, path, 3000, wrong);
        QCOMPARE(w.status, 401);
        QVERIFY(w.headers.value("www-authenticate").contains("invalid_token"));
        if (path != "/api/v1/stream")
            QCOMPARE(httpGet(port, path, 3000, good).status, 200);
    }
    SseClient watcher;
    watcher.open(port, "/api/v1/stream", good);
    QTRY_VERIFY_WITH_TIMEOUT(!watcher.events().isEmpty(), 5000);
    QCOMPARE(watcher.status(), 200);
    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

void TstStatusApi::streamFollowsChangesAndCutsAStalledWatcher()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir;
    const QString tag = uniqueTag("stream");
    const quint16 port = quint16(freePort());
    SubscriberProcess sub(dir.path());
    QVERIFY(sub.start(subscriberConfig(srv, setupFor(srv, tag, port))));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    SseClient watcher;
    watcher.open(port);
    QTRY_VERIFY_WITH_TIMEOUT(!watcher.events().isEmpty(), 5000);
    QCOMPARE(watcher.status(), 200);
    QCOMPARE(num(watcher.events().constLast().status, "received"), 0);
    QVERIFY(!watcher.events().constLast().status.contains(QStringLiteral("config")));

    // A change (one message acknowledged by the broker) reaches the watcher within half a second. Between the
    // broker's acknowledgement and our delivery lies only loopback: the time measured is the API's.
    QVERIFY(runSimulation(simulation(srv, tag, 1, 0, 0, 1)).allDelivered());
    const qint64 published = watcher.clock().elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(num(watcher.events().constLast().status, "received") == 1, 5000);
    qint64 seenAt = -1;
    for (const SseClient::Event &e : watcher.events())
        if (seenAt < 0 && num(e.status, "received") == 1)
            seenAt = e.atMs;
    qInfo("the change reached the watcher %lld ms after the broker acknowledged it", seenAt - published);
    QVERIFY2(seenAt - published <= 500, qPrintable(QStringLiteral("%1 ms").arg(seenAt - published)));
    // At most 4 snapshots a second.
    const int before = int(watcher.events().size());
    QTest::qWait(2000);
    const int perTwoSeconds = int(watcher.events().size()) - before;
    QVERIFY2(perTwoSeconds >= 4 && perTwoSeconds <= 9, qPrintable(QString::number(perTwoSeconds)));

    // A watcher that never reads: ingestion goes on, the watcher is cut, the healthy one keeps its stream.
    const int stalled = stalledWatcher(port);
    QVERIFY(stalled >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(num(getJson(port, "/api/v1/status").value(QStringLiteral("watchers")).toObject(),
                                  "connected"), 2, 5000);
    constexpr int Count = 3000;
    QElapsedTimer stalledFor;
    stalledFor.start();
    BackgroundPublisher publisher(simulation(srv, tag, Count, 300, 0, 5));
    QTRY_VERIFY_WITH_TIMEOUT(num(getJson(port, "/api/v1/status").value(QStringLiteral("watchers")).toObject(),
                                 "cut") == 1, 30000);
    qInfo("the stalled watcher was cut after %lld ms", stalledFor.elapsed());
    QVERIFY(publisher.join().allDelivered());
    QTRY_VERIFY_WITH_TIMEOUT(num(getJson(port, "/api/v1/status"), "written") == Count + 1, 30000);
    const QJsonObject s = getJson(port, "/api/v1/status");
    QCOMPARE(num(s, "dropped"), 0);
    QCOMPARE(num(s.value(QStringLiteral("watchers")).toObject(), "connected"), 1);
    QTRY_VERIFY_WITH_TIMEOUT(num(watcher.events().constLast().status, "written") == Count + 1, 5000);
    QVERIFY(watcher.isConnected());
    ::close(stalled);
    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

QTEST_GUILESS_MAIN(TstStatusApi)
#include "tst_statusapi.moc"
