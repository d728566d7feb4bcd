// SPDX-License-Identifier: MIT
// The fleet view's read-only view of one remote instance, against a real headless instance (real binary, broker and
// PostgreSQL, a bearer token on its observability port): after a known stream the view's counters equal the
// instance's /api/v1/status, its topic tree and Problems view hold what /topics and /dead-letters say, its Events view
// the connections; killed, the view says stale within 5 s and keeps the figures; restarted, it is current again.
#include "backgroundpublisher.h"
#include "counterspanel.h"
#include "deadlettermodel.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "httpclient.h"
#include "instanceview.h"
#include "problemspanel.h"
#include "remotefeed.h"
#include "remoteinstance.h"
#include "subscriberprocess.h"
#include "testenv.h"
#include "topicpanel.h"
#include "topictreemodel.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QRandomGenerator>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

qint64 num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger(-1);
}

/// The panel's text of a count as the instance reported it ("3,000"), before the rate ("3,000  (12/s)").
QString shown(qint64 n)
{
    return QLocale().toString(n);
}

/// The count at the start of a counter's text.
QString countIn(const QString &value)
{
    return value.section(QLatin1Char(' '), 0, 0);
}

} // namespace

class TstInstanceView final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void snapshotFromStatus();
    void remoteInstanceShownStaleAndBack();
};

void TstInstanceView::snapshotFromStatus()
{
    // The API's words back into the snapshot's types (what the panels render from), no text parsed.
    const QJsonObject status = QJsonDocument::fromJson(R"({
        "api": 1, "taken_at": "2026-12-07T14:52:31.123456Z", "started_at": "2026-12-07T14:50:00.000001Z",
        "received": 3000, "written": 2970, "dead_lettered": 30, "dropped": 0, "in_flight": 0, "replayed": 5,
        "dead_lettered_by": {"invalid_json": 30},
        "mqtt": {"state": "reconnecting", "since": "2026-12-07T14:52:30Z", "endpoint": "10.0.0.1:1883",
                 "attempt": 3, "retry_delay_ms": 4200, "cause": "connectionlost", "message": "connection refused"},
        "database": {"state": "connected", "since": null, "target": "PostgreSQL iot@db:5432/iot"},
        "buffer": {"max_messages": 100000, "queued": 7, "reading_paused": true},
        "spool": {"enabled": true, "state": "disk_full"},
        "commit_latency_ms": {"rows": 10, "p50": 12.5, "p99": 80, "max": 95.5}
    })").object();
    const EngineSnapshot s = RemoteFeed::snapshotFromStatus(status);
    QCOMPARE(s.takenAtUs % 1000000, qint64(123456));
    QCOMPARE(s.startedAtUs % 1000000, qint64(1));
    QCOMPARE(s.received, 3000u);
    QCOMPARE(s.written, 2970u);
    QCOMPARE(s.deadLettered, 30u);
    QCOMPARE(s.replayed, 5u);
    QCOMPARE(s.deadLetteredBy[std::size_t(Reasons::DeadLetter::InvalidJson)], 30u);
    QCOMPARE(s.mqtt.state, MessageSource::State::Reconnecting);
    QCOMPARE(s.mqtt.cause, MessageSource::Cause::ConnectionLost);
    QCOMPARE(s.mqtt.attempt, 3);
    QCOMPARE(s.mqtt.retryDelayUs, qint64(4200000));
    QCOMPARE(s.mqtt.detail(), QStringLiteral("attempt 3 in 4.2 s: connection refused"));
    QCOMPARE(s.db.state, BatchWriter::State::Connected);
    QCOMPARE(s.db.detail(), QStringLiteral("connected to PostgreSQL iot@db:5432/iot"));
    QCOMPARE(s.maxBuffered, 100000u);
    QCOMPARE(s.queued, 7u);
    QVERIFY(s.readingPaused);
    QCOMPARE(s.spoolState, SpoolState::DiskFull);
    const CommitLatency::Percentiles p = RemoteFeed::latencyFromStatus(status);
    QCOMPARE(p.rows, 10u);
    QCOMPARE(p.p50Us, std::int64_t(12500));
    QCOMPARE(p.p99Us, std::int64_t(80000));
    QCOMPARE(p.maxUs, std::int64_t(95500));
    QCOMPARE(RemoteFeed::parseTime(QJsonValue()), qint64(0));
}

void TstInstanceView::remoteInstanceShownStaleAndBack()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir;
    const QString tag = QStringLiteral("view-%1").arg(QRandomGenerator::global()->generate());
    const QByteArray token = "view-token-" + QByteArray::number(QRandomGenerator::global()->generate64());
    QFile tokenFile(dir.filePath(QStringLiteral("token")));
    QVERIFY(tokenFile.open(QIODevice::WriteOnly));
    tokenFile.write(token + '\n');
    tokenFile.close();
    QVERIFY(tokenFile.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));

    const int port = freePort();
    SubscriberSetup setup;
    setup.database = srv.pgDatabase;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    setup.prometheusPort = port;
    setup.extraObservabilityKeys = QStringLiteral("auth_token_file = \"%1\"\n").arg(tokenFile.fileName());
    SubscriberProcess sub(dir.path());
    const QString config = subscriberConfig(srv, setup);
    QVERIFY(sub.start(config));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));

    RemoteInstance remote(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), token);
    remote.start();
    InstanceView view(remote);
    view.resize(1200, 800);
    view.show();
    // The same instance with a wrong token: a clear error in the view, no figures.
    RemoteInstance wrong(remote.url(), token + "x");
    wrong.start();
    InstanceView wrongView(wrong);
    QTRY_VERIFY(wrongView.staleBanner()->text().contains(QStringLiteral("refused the token")));
    QVERIFY(wrongView.showsStale());
    QCOMPARE(wrongView.healthPill()->text(), QStringLiteral("error"));
    QVERIFY(!wrongView.feed()->hasData());

    // A known stream: 3,000 messages over 3 topics, every 100th (30) a truncated, invalid JSON payload.
    SimOptions sim = simulation(srv, tag, 3000, 0, 0, 3);
    sim.invalidEvery = 100;
    const SimStats published = runSimulation(sim);
    QVERIFY(published.allDelivered());
    QCOMPARE(published.invalid, 30u);
    QTRY_COMPARE_WITH_TIMEOUT(num(remote.status(), "written") + num(remote.status(), "dead_lettered"), 3000, 30000);
    const QByteArray bearer = "Authorization: Bearer " + token + "\r\n";
    const QJsonObject direct =
        QJsonDocument::fromJson(httpGet(quint16(port), "/api/v1/status", 5000, bearer).body).object();
    QCOMPARE(num(direct, "received"), 3000);
    QCOMPARE(num(direct, "written"), 2970);
    QCOMPARE(num(direct, "dead_lettered"), 30);

    // The counters as the instance reports them, the health bar in the local window's words.
    QTRY_COMPARE(countIn(view.counters()->value(QStringLiteral("written"))), shown(num(direct, "written")));
    QCOMPARE(countIn(view.counters()->value(QStringLiteral("received"))), shown(num(direct, "received")));
    QCOMPARE(countIn(view.counters()->value(QStringLiteral("deadLettered"))), shown(num(direct, "dead_lettered")));
    QCOMPARE(countIn(view.counters()->value(QStringLiteral("dropped"))), shown(num(direct, "dropped")));
    QVERIFY2(view.counters()->balanced(), qPrintable(view.counters()->balanceText()));
    QVERIFY2(view.health()->mqttText().startsWith(QStringLiteral("Connected to 127.0.0.1:")),
             qPrintable(view.health()->mqttText()));
    QVERIFY2(view.health()->databaseText().startsWith(QStringLiteral("Connected to PostgreSQL")),
             qPrintable(view.health()->databaseText()));
    QVERIFY(!view.showsStale());
    QCOMPARE(view.healthPill()->text(), QStringLiteral("ok"));
    QVERIFY(view.titleLabel()->text().contains(QString::number(port)));

    // The topic tree: the 3 topics with the counts /topics gives (990 stored each; dead letters are not counted).
    const QJsonObject topics =
        QJsonDocument::fromJson(httpGet(quint16(port), "/api/v1/topics?since=0", 5000, bearer).body).object();
    const QJsonArray topicList = topics.value(QStringLiteral("topics")).toArray();
    QCOMPARE(topicList.size(), 3);
    QTRY_COMPARE(view.topics()->model()->topicCount(), 3);
    qint64 stored = 0;
    for (const QJsonValue &v : topicList) {
        const QJsonObject t = v.toObject();
        const QString name = t.value(QStringLiteral("topic")).toString();
        const auto countShown = [&view, &name]() -> qint64 {
            const TopicSample *sample = view.topics()->model()->sample(view.topics()->model()->indexOfTopic(name));
            return sample ? qint64(sample->count) : -1;
        };
        QTRY_COMPARE(countShown(), num(t, "count"));
        stored += num(t, "count");
    }
    QCOMPARE(stored, 2970);

    // The Problems view: the 30 dead letters with their reasons.
    DeadLetterModel *dead = view.problems()->deadLetters();
    // On a failure, say which side fell short: the instance's journal, or the view (once seen 25 of 30 under load).
    const auto deadDiagnosis = [&] {
        const QJsonObject journal = QJsonDocument::fromJson(
            httpGet(quint16(port), "/api/v1/dead-letters?after=0&limit=500", 5000, bearer).body).object();
        const QJsonObject now =
            QJsonDocument::fromJson(httpGet(quint16(port), "/api/v1/status", 5000, bearer).body).object();
        return QStringLiteral("view lists %1; the instance's journal answers %2, last_dead_letter_id %3, view stale %4")
            .arg(dead->rowCount())
            .arg(journal.value(QStringLiteral("dead_letters")).toArray().size())
            .arg(num(now, "last_dead_letter_id"))
            .arg(view.showsStale())
            .toUtf8();
    };
    QTRY_VERIFY2_WITH_TIMEOUT(dead->rowCount() == 30, deadDiagnosis().constData(), 15000);
    for (int r = 0; r < dead->rowCount(); ++r) {
        QVERIFY2(dead->at(r).reason.startsWith(QStringLiteral("invalid_json")), qPrintable(dead->at(r).reason));
        QVERIFY(dead->at(r).topic.startsWith(QByteArray(tag.toUtf8() + '/')));
        QVERIFY(dead->at(r).receivedAtUs > 0);
    }

    // The Events view: the connections to the broker and the database.
    const auto hasEvent = [&view](const QString &needle) {
        for (int r = 0; r < view.events()->count(); ++r)
            if (view.events()->entry(r).contains(needle))
                return true;
        return false;
    };
    QTRY_VERIFY(hasEvent(QStringLiteral("MQTT: Connected to 127.0.0.1:")));
    QVERIFY(hasEvent(QStringLiteral("Database: Connected to PostgreSQL")));
    const QString screenshot = qEnvironmentVariable("IOT_INSTANCE_VIEW_SCREENSHOT");
    if (!screenshot.isEmpty())
        QVERIFY(view.grab().save(screenshot));

    // Killed: the stale banner within 5 s, the figures kept.
    sub.kill();
    QVERIFY(sub.waitForFinished(5000));
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(view.showsStale(), 6000);
    const qint64 staleMs = clock.elapsed();
    qInfo("killed instance shown stale after %lld ms", staleMs);
    QVERIFY2(staleMs <= 5000, qPrintable(QString::number(staleMs)));
    QVERIFY2(view.staleBanner()->text().contains(QStringLiteral("STALE")), qPrintable(view.staleBanner()->text()));
    QCOMPARE(view.healthPill()->text(), QStringLiteral("unreachable"));
    QCOMPARE(countIn(view.counters()->value(QStringLiteral("written"))), shown(2970));
    QCOMPARE(view.topics()->model()->topicCount(), 3);
    QCOMPARE(dead->rowCount(), 30);
    QVERIFY(!view.counters()->isEnabled());   // greyed: readable, not current
    if (!screenshot.isEmpty())
        QVERIFY(view.grab().save(QString(screenshot).replace(QStringLiteral(".png"), QStringLiteral("-stale.png"))));

    // Restarted: current again, with the new process's figures and a note in the timeline.
    QVERIFY(sub.start(config));
    QVERIFY2(sub.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(sub.log()));
    QTRY_VERIFY_WITH_TIMEOUT(!view.showsStale(), 10000);
    // Its first answers may come while a side still connects (warning).
    QTRY_COMPARE_WITH_TIMEOUT(view.healthPill()->text(), QStringLiteral("ok"), 10000);
    QVERIFY(view.counters()->isEnabled());
    // The previous process's 30 dead letters: kept, but marked as from before the restart, never as current.
    const qint64 restartUs = view.feed()->snapshot().startedAtUs;
    QVERIFY(restartUs > 0);
    QCOMPARE(dead->rowCount(), 30);
    QCOMPARE(dead->currentCount(), 0);
    for (int r = 0; r < dead->rowCount(); ++r) {
        QCOMPARE(dead->at(r).beforeRestartAtUs, restartUs);
        const QString when = dead->data(dead->index(r, DeadLetterModel::TimeColumn)).toString();
        QVERIFY2(when.contains(QStringLiteral("before restart at")), qPrintable(when));
    }
    QVERIFY2(view.problems()->deadLetterSummary()->text().startsWith(QStringLiteral("None dead-lettered since the "
                                                                                      "instance restarted")),
             qPrintable(view.problems()->deadLetterSummary()->text()));
    // The new process's own: 200 messages, every 100th (2) invalid — listed on top, not marked.
    SimOptions after = simulation(srv, tag, 200, 0, 0, 3);
    after.invalidEvery = 100;
    QVERIFY(runSimulation(after).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(countIn(view.counters()->value(QStringLiteral("received"))), shown(200), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(dead->rowCount(), 32, 15000);
    QCOMPARE(dead->currentCount(), 2);
    QCOMPARE(dead->at(0).beforeRestartAtUs, 0);
    QCOMPARE(dead->at(1).beforeRestartAtUs, 0);
    QCOMPARE(dead->at(2).beforeRestartAtUs, restartUs);
    QTRY_VERIFY2(view.problems()->deadLetterSummary()->text().startsWith(QStringLiteral("2 dead-lettered since")),
                 qPrintable(view.problems()->deadLetterSummary()->text()));
    QVERIFY(view.problems()->deadLetterSummary()->text().contains(QStringLiteral("30 listed from before")));
    QVERIFY(hasEvent(QStringLiteral("Instance: Restarted")));
    QVERIFY(hasEvent(QStringLiteral("Instance: Answering again")));

    if (!screenshot.isEmpty()) {
        // For docs/fleet-instance-view.png: a steady stream for a while, so the charts have something to show.
        BackgroundPublisher steady(simulation(srv, tag, 4000, 400, 0, 3));
        QTest::qWait(9000);
        view.tabs()->setCurrentIndex(0);
        QVERIFY(view.grab().save(QString(screenshot).replace(QStringLiteral(".png"), QStringLiteral("-steady.png"))));
        for (int tab = 1; tab < view.tabs()->count(); ++tab) {
            view.tabs()->setCurrentIndex(tab);
            QVERIFY(view.grab().save(QString(screenshot).replace(QStringLiteral(".png"),
                                                                 QStringLiteral("-tab%1.png").arg(tab))));
        }
        QVERIFY(steady.join().allDelivered());
    }
    QVERIFY2(sub.stopCleanly(), qPrintable(sub.log().right(2000)));
}

QTEST_MAIN(TstInstanceView)
#include "tst_instanceview.moc"
