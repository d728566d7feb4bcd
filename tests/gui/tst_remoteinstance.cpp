// SPDX-License-Identifier: MIT
// The fleet view's view of a remote instance, against two real headless instances (real binaries, broker and
// PostgreSQL): the figures it shows equal each instance's /api/v1/status and /metrics after a known stream; a killed
// instance is unreachable within 5 s, its last figures kept as stale; restarted, it is picked up again; a wrong
// token is a clear error, not an outage.
#include "backgroundpublisher.h"
#include "httpclient.h"
#include "instancespanel.h"
#include "remoteinstance.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTableWidget>
#include <QTest>

using namespace iot;
using namespace iot::test;

namespace {

qint64 num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger(-1);
}

QUrl urlOf(int port)
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

} // namespace

class TstRemoteInstance final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void twoInstancesKilledAndBack();
};

void TstRemoteInstance::twoInstancesKilledAndBack()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dirA, dirB;
    const QString tag = QStringLiteral("fleet-%1").arg(QRandomGenerator::global()->generate());
    const QByteArray token = "fleet-token-" + QByteArray::number(QRandomGenerator::global()->generate64());
    QFile tokenFile(dirB.filePath(QStringLiteral("token")));
    QVERIFY(tokenFile.open(QIODevice::WriteOnly));
    tokenFile.write(token + '\n');
    tokenFile.close();
    QVERIFY(tokenFile.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));

    const int portA = freePort();
    const int portB = freePort();
    SubscriberSetup a;
    a.database = srv.pgDatabase;
    a.topic = tag + QStringLiteral("/a/#");
    a.clientId = tag + QStringLiteral("-a");
    a.prometheusPort = portA;
    SubscriberSetup b = a;
    b.topic = tag + QStringLiteral("/b/#");
    b.clientId = tag + QStringLiteral("-b");
    b.prometheusPort = portB;
    b.extraObservabilityKeys = QStringLiteral("auth_token_file = \"%1\"\n").arg(tokenFile.fileName());
    SubscriberProcess subA(dirA.path()), subB(dirB.path());
    const QString configA = subscriberConfig(srv, a);
    QVERIFY(subA.start(configA));
    QVERIFY(subB.start(subscriberConfig(srv, b)));
    QVERIFY2(subA.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subA.log()));
    QVERIFY2(subB.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subB.log()));

    // The site summary, offscreen, watching both (and B once more with a wrong token).
    InstancesPanel panel;
    panel.resize(1200, 150);
    panel.show();
    RemoteInstance &remoteA = *panel.addInstance(urlOf(portA), {});
    RemoteInstance &remoteB = *panel.addInstance(urlOf(portB), token);
    RemoteInstance &wrongB = *panel.addInstance(urlOf(portB), token + "x");
    // The table's cell of `column` in the row of `remote` (rows move when sorted).
    const auto cell = [&panel](const RemoteInstance &remote, int column) -> QTableWidgetItem * {
        QTableWidget *t = panel.table();
        for (int r = 0; r < t->rowCount(); ++r)
            if (t->item(r, InstancesPanel::NameColumn)->data(Qt::UserRole + 1).value<void *>() == &remote)
                return t->item(r, column);
        return nullptr;
    };

    // A known stream: 3,000 messages to A, 1,000 to B.
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/a"), 3000, 0)).allDelivered());
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/b"), 1000, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(num(remoteA.status(), "written"), 3000, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(num(remoteB.status(), "written"), 1000, 30000);
    const QByteArray bearer = "Authorization: Bearer " + token + "\r\n";
    const struct { RemoteInstance *remote; int port; QByteArray headers; qint64 count; } both[] = {
        {&remoteA, portA, {}, 3000}, {&remoteB, portB, bearer, 1000}};
    for (const auto &i : both) {
        const QJsonObject direct = QJsonDocument::fromJson(httpGet(quint16(i.port), "/api/v1/status", 5000,
                                                                   i.headers).body).object();
        const QByteArray metrics = httpGet(quint16(i.port), "/metrics", 5000, i.headers).body;
        QTRY_COMPARE(num(i.remote->status(), "received"), i.count);
        for (const char *key : {"received", "written", "dead_lettered", "dropped", "in_flight"})
            QCOMPARE(num(i.remote->status(), key), num(direct, key));
        QCOMPARE(metricSample(metrics, "iot_subscriber_messages_received_total"), double(i.count));
        QCOMPARE(metricSample(metrics, "iot_subscriber_rows_written_total"), double(i.count));
        QCOMPARE(i.remote->health(), RemoteInstance::Health::Ok);
        QVERIFY(!i.remote->stale());
        // The window shows the same figures.
        QTRY_VERIFY(cell(*i.remote, InstancesPanel::WrittenColumn));
        QCOMPARE(cell(*i.remote, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong(), i.count);
        QCOMPARE(cell(*i.remote, InstancesPanel::ReceivedColumn)->data(Qt::UserRole).toLongLong(), i.count);
        QCOMPARE(cell(*i.remote, InstancesPanel::HealthColumn)->text(), QStringLiteral("ok"));
    }
    // Sortable by throughput, backlog, dead letters: sorting by written puts B (1,000) before A (3,000).
    panel.table()->sortItems(InstancesPanel::WrittenColumn, Qt::AscendingOrder);
    QVERIFY(panel.table()->item(1, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong()
            <= panel.table()->item(2, InstancesPanel::WrittenColumn)->data(Qt::UserRole).toLongLong());
    // The wrong token: an error that says so, and no figures.
    QTRY_COMPARE(wrongB.health(), RemoteInstance::Health::Error);
    QVERIFY2(wrongB.problem().contains(QStringLiteral("refused the token")), qPrintable(wrongB.problem()));
    QVERIFY(wrongB.status().isEmpty());
    QTRY_VERIFY(cell(wrongB, InstancesPanel::ProblemColumn));
    QVERIFY(cell(wrongB, InstancesPanel::ProblemColumn)->text().contains(QStringLiteral("refused the token")));
    QCOMPARE(panel.worstHealth(), RemoteInstance::Health::Error);
    const QString shot = qEnvironmentVariable("IOT_FLEET_SCREENSHOT");
    if (!shot.isEmpty())
        QVERIFY(panel.grab().save(shot));

    // A killed: unreachable within 5 s, its last figures kept but stale; B unaffected.
    subA.kill();
    QVERIFY(subA.waitForFinished(5000));
    QElapsedTimer clock;
    clock.start();
    QTRY_COMPARE_WITH_TIMEOUT(remoteA.health(), RemoteInstance::Health::Unreachable, 6000);
    const qint64 unreachableMs = clock.elapsed();
    qInfo("killed instance marked unreachable after %lld ms", unreachableMs);
    QVERIFY2(unreachableMs <= 5000, qPrintable(QString::number(unreachableMs)));
    QVERIFY(remoteA.stale());
    QCOMPARE(num(remoteA.status(), "written"), 3000);
    QCOMPARE(remoteB.health(), RemoteInstance::Health::Ok);
    QVERIFY(!remoteB.stale());
    QCOMPARE(wrongB.health(), RemoteInstance::Health::Error);
    QTRY_VERIFY(cell(remoteA, InstancesPanel::WrittenColumn));
    QVERIFY(cell(remoteA, InstancesPanel::WrittenColumn)->text().endsWith(QStringLiteral("(stale)")));
    QCOMPARE(panel.worstHealth(), RemoteInstance::Health::Unreachable);
    if (!shot.isEmpty())
        QVERIFY(panel.grab().save(QString(shot).replace(QStringLiteral(".png"), QStringLiteral("-unreachable.png"))));

    // A restarted: picked up again (a new process: its counters start from what it replays and receives).
    QVERIFY(subA.start(configA));
    QVERIFY2(subA.waitForLog(QStringLiteral("subscribed to"), 15000), qPrintable(subA.log()));
    QTRY_COMPARE_WITH_TIMEOUT(remoteA.health(), RemoteInstance::Health::Ok, 10000);
    QVERIFY(!remoteA.stale());
    QVERIFY(runSimulation(simulation(srv, tag + QStringLiteral("/a"), 200, 0)).allDelivered());
    QTRY_COMPARE_WITH_TIMEOUT(num(remoteA.status(), "received"), 200, 20000);

    QVERIFY2(subA.stopCleanly(), qPrintable(subA.log().right(2000)));
    QVERIFY2(subB.stopCleanly(), qPrintable(subB.log().right(2000)));
}

QTEST_MAIN(TstRemoteInstance)
#include "tst_remoteinstance.moc"
