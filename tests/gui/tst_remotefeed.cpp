// SPDX-License-Identifier: MIT
// RemoteFeed against a scripted status API (the project's own HttpEndpoint on loopback): lists are read
// incrementally and in pages, each entry once; an engine restart that keeps the journals (a desktop instance applying
// new settings) reads nothing twice; a new process (journals from 1 again) is read from the start and announced.
#include "observability/httpendpoint.h"
#include "remotefeed.h"
#include "remoteinstance.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

using namespace iot;

namespace {

/// What the scripted instance has: its start time and journals.
struct Script
{
    QString startedAt = QStringLiteral("2026-12-07T10:00:00.000000Z");
    QList<QJsonObject> events;        // id = index + 1 + eventBase
    quint64 eventBase = 0;
    quint64 deadLetters = 0;          // ids 1..deadLetters
    int requests = 0;                 // of the lists
};

HttpEndpoint::Response json(const QJsonObject &o)
{
    return {200, QByteArrayLiteral("application/json"), QJsonDocument(o).toJson(QJsonDocument::Compact)};
}

quint64 arg(const HttpEndpoint::Request &r, const char *key, quint64 fallback)
{
    const QUrlQuery q(QString::fromLatin1(r.query));
    return q.hasQueryItem(QLatin1String(key)) ? q.queryItemValue(QLatin1String(key)).toULongLong() : fallback;
}

void serve(HttpEndpoint &http, Script &script)
{
    using Access = HttpEndpoint::Access;
    http.addRoute("/api/v1/status", Access::Open, [&script](const HttpEndpoint::Request &) {
        return json({{QStringLiteral("api"), 1},
                     {QStringLiteral("instance"), QStringLiteral("scripted")},
                     {QStringLiteral("taken_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                     {QStringLiteral("started_at"), script.startedAt},
                     {QStringLiteral("health"), QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}}},
                     {QStringLiteral("last_event_id"), qint64(script.eventBase + quint64(script.events.size()))},
                     {QStringLiteral("last_dead_letter_id"), qint64(script.deadLetters)}});
    });
    http.addRoute("/api/v1/events", Access::Open, [&script](const HttpEndpoint::Request &r) {
        ++script.requests;
        const quint64 after = arg(r, "after", 0), limit = arg(r, "limit", 1000);
        QJsonArray list;
        for (qsizetype i = 0; i < script.events.size() && quint64(list.size()) < limit; ++i) {
            const quint64 id = script.eventBase + quint64(i) + 1;
            if (id > after) {
                QJsonObject e = script.events[i];
                e.insert(QStringLiteral("id"), qint64(id));
                list.append(e);
            }
        }
        return json({{QStringLiteral("last_id"), qint64(script.eventBase + quint64(script.events.size()))},
                     {QStringLiteral("events"), list}});
    });
    http.addRoute("/api/v1/dead-letters", Access::Open, [&script](const HttpEndpoint::Request &r) {
        ++script.requests;
        const quint64 after = arg(r, "after", 0), limit = arg(r, "limit", 100);
        QJsonArray list;
        for (quint64 id = after + 1; id <= script.deadLetters && quint64(list.size()) < limit; ++id)
            list.append(QJsonObject{{QStringLiteral("id"), qint64(id)},
                                    {QStringLiteral("topic"), QStringLiteral("t/%1").arg(id)},
                                    {QStringLiteral("reason"), QStringLiteral("invalid_json at byte 1")},
                                    {QStringLiteral("received_at"), QStringLiteral("2026-12-07T10:00:01.000000Z")}});
        return json({{QStringLiteral("last_id"), qint64(script.deadLetters)}, {QStringLiteral("dead_letters"), list}});
    });
}

QJsonObject journalEvent(const char *source, const char *state, const QString &detail)
{
    return {{QStringLiteral("time"), QStringLiteral("2026-12-07T10:00:00.500000Z")},
            {QStringLiteral("source"), QLatin1String(source)},
            {QStringLiteral("state"), QLatin1String(state)},
            {QStringLiteral("detail"), detail}};
}

} // namespace

class TstRemoteFeed final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void listsInPagesEachOnce();
    void engineRestartKeepsJournals();
    void newProcessIsReadFromTheStart();
};

void TstRemoteFeed::listsInPagesEachOnce()
{
    Script script;
    script.deadLetters = 1200;   // more than one page (RemoteFeed::PageSize)
    HttpEndpoint http;
    serve(http, script);
    QVERIFY(http.listen(QHostAddress::LocalHost, 0).ok());
    RemoteInstance remote(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(http.port())), {});
    RemoteFeed feed(remote);
    QSignalSpy dead(&feed, &RemoteFeed::deadLettered);
    remote.start();
    QTRY_COMPARE_WITH_TIMEOUT(dead.count(), 1200, 10000);
    for (int i = 0; i < dead.count(); ++i)
        QCOMPARE(dead.at(i).at(0).toByteArray(), QByteArray("t/" + QByteArray::number(i + 1)));
    QCOMPARE(feed.deadLettersSeen(), 1200u);
    QVERIFY(!feed.stale());
    QCOMPARE(feed.instanceName(), QStringLiteral("scripted"));
    // Nothing moved: no list is asked for again.
    const int asked = script.requests;
    QSignalSpy updates(&remote, &RemoteInstance::updated);
    QTRY_VERIFY(updates.count() >= 4);   // two seconds of status polls
    QCOMPARE(script.requests, asked);
    QCOMPARE(dead.count(), 1200);
}

void TstRemoteFeed::engineRestartKeepsJournals()
{
    Script script;
    script.events = {journalEvent("mqtt", "connected", QStringLiteral("connected to b:1883")),
                     journalEvent("database", "connected", QStringLiteral("connected to db"))};
    HttpEndpoint http;
    serve(http, script);
    QVERIFY(http.listen(QHostAddress::LocalHost, 0).ok());
    RemoteInstance remote(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(http.port())), {});
    RemoteFeed feed(remote);
    QSignalSpy events(&feed, &RemoteFeed::eventArrived);
    QSignalSpy restarted(&feed, &RemoteFeed::restarted);
    remote.start();
    QTRY_COMPARE(events.count(), 2);
    // A new engine in the same process: a new start time, the journal goes on (ids 3, 4).
    script.startedAt = QStringLiteral("2026-12-07T11:00:00.000000Z");
    script.events << journalEvent("mqtt", "connecting", QStringLiteral("connecting to b:1883"))
                  << journalEvent("mqtt", "connected", QStringLiteral("connected to b:1883"));
    QTRY_COMPARE(feed.snapshot().startedAtUs, RemoteFeed::parseTime(script.startedAt));
    QTRY_COMPARE(events.count(), 4);
    QCOMPARE(events.at(2).at(2).toString(), QStringLiteral("connecting"));
    QCOMPARE(restarted.count(), 0);
    QSignalSpy updates(&remote, &RemoteInstance::updated);
    QTRY_VERIFY(updates.count() >= 3);
    QCOMPARE(events.count(), 4);   // none twice
}

void TstRemoteFeed::newProcessIsReadFromTheStart()
{
    Script script;
    script.events = {journalEvent("mqtt", "connecting", QStringLiteral("connecting to b:1883")),
                     journalEvent("mqtt", "connected", QStringLiteral("connected to b:1883")),
                     journalEvent("database", "connected", QStringLiteral("connected to db"))};
    HttpEndpoint http;
    serve(http, script);
    QVERIFY(http.listen(QHostAddress::LocalHost, 0).ok());
    RemoteInstance remote(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(http.port())), {});
    RemoteFeed feed(remote);
    QSignalSpy events(&feed, &RemoteFeed::eventArrived);
    QSignalSpy restarted(&feed, &RemoteFeed::restarted);
    remote.start();
    QTRY_COMPARE(events.count(), 3);
    // A new process: a new start time and a journal from 1 again (here with fewer entries than read before).
    script.startedAt = QStringLiteral("2026-12-07T12:00:00.000000Z");
    script.events = {journalEvent("mqtt", "connecting", QStringLiteral("connecting to b:1883")),
                     journalEvent("database", "connecting", QStringLiteral("connecting to db"))};
    QTRY_COMPARE(restarted.count(), 1);
    QTRY_COMPARE(events.count(), 5);
    QCOMPARE(events.at(3).at(2).toString(), QStringLiteral("connecting"));
    QCOMPARE(events.at(4).at(1).toString(), QStringLiteral("database"));
    QCOMPARE(feed.eventsSeen(), 2u);
}

QTEST_MAIN(TstRemoteFeed)
#include "tst_remotefeed.moc"
