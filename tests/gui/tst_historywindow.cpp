// SPDX-License-Identifier: MIT
// The History tab inside the real window, the way an operator reaches it: a SQLite file holding the last week of two
// sensors, the program started on it (a real engine on the test broker), the topic tree filled from the database,
// "Plot history" on the tree's "lab" node → the History tab plots lab/# over the last week; a zoom re-queries one
// day. With IOT_HISTORY_WINDOW_SCREENSHOT=FILE.png it saves the whole window (the README's picture).
#include "config/configloader.h"
#include "engine.h"
#include "enginehost.h"
#include "historypanel.h"
#include "mainwindow.h"
#include "publisher.h"
#include "settingsdialog.h"
#include "testenv.h"
#include "topicpanel.h"
#include "topictreemodel.h"

#include <QAction>
#include <QChart>
#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <cmath>

using namespace iot;
using namespace iot::test;

namespace {

constexpr qint64 WeekMs = qint64(7) * 24 * 3600 * 1000;
constexpr int StepS = 15;                       // a reading every 15 s per sensor
// The stored week starts 10 minutes after "now - 7 days" and ends 10 minutes before now, so the "last week" plot,
// made a moment later, holds every reading.
constexpr qint64 MarginMs = 10 * 60 * 1000;
constexpr int Readings = int((WeekMs - 2 * MarginMs) / (StepS * 1000));

QString iso(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz"))
        + QStringLiteral("000Z");
}

/// A freezer with a daily cycle and one warm spell two days ago; a room following the day.
bool fillWeek(const QString &path, qint64 nowMs)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("fill"));
    db.setDatabaseName(path);
    bool ok = db.open();
    {
        QSqlQuery q(db);
        ok = ok && q.exec(QStringLiteral("CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, "
                                         "payload TEXT NOT NULL)"))
            && db.transaction() && q.prepare(QStringLiteral("INSERT INTO readings VALUES (?, ?, ?)"));
        const qint64 startMs = nowMs - WeekMs + MarginMs;
        const qint64 endMs = nowMs - MarginMs;
        for (int i = 0; ok && i < Readings; ++i) {
            const qint64 at = startMs + qint64(i) * StepS * 1000;
            const double day = double(at % 86400000) / 86400000.0;
            const bool warm = at > endMs - 2 * 86400000LL - 2 * 3600000LL && at < endMs - 2 * 86400000LL;
            const double freezer = -18.0 + 2.5 * std::sin(day * 2 * M_PI) + ((i * 37) % 11) * 0.25 + (warm ? 9.0 : 0.0);
            const double room = 21.0 + 1.5 * std::sin((day - 0.25) * 2 * M_PI) + ((i * 53) % 7) * 0.15;
            for (const auto &[topic, v] : {std::pair{QStringLiteral("lab/freezer/temp"), freezer},
                                           std::pair{QStringLiteral("lab/room/temp"), room}}) {
                q.addBindValue(iso(at));
                q.addBindValue(topic);
                q.addBindValue(QStringLiteral("{\"temp\":%1,\"unit\":\"C\"}").arg(v, 0, 'f', 2));
                ok = ok && q.exec();
            }
        }
        ok = ok && db.commit();
        if (!ok)
            qWarning() << q.lastError().text() << db.lastError().text();
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("fill"));
    return ok;
}

} // namespace

class TstHistoryWindow final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void plotHistoryFromTheTopicTree();
};

void TstHistoryWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_historywindow"));
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
}

void TstHistoryWindow::plotHistoryFromTheTopicTree()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-historywindow-XXXXXX"));
    QVERIFY(dir.isValid());
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("lab.sqlite"));
    setup.topic = QStringLiteral("lab/#");
    setup.clientId = QStringLiteral("gui_historywindow");
    setup.extraToml = QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")));
    QVERIFY(fillWeek(setup.database, QDateTime::currentMSecsSinceEpoch()));
    const auto config = ConfigLoader::loadString(subscriberConfig(srv, setup).toUtf8(), QStringLiteral("test.toml"));
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));

    Engine engine(config.value());
    EngineHost host(engine);
    MainWindow window(host);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(host.start().ok());
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().mqtt.state, MessageSource::State::Connected, 10000);

    // The tree holds both sensors from the database before any live message, then one goes live.
    TopicPanel *topics = window.topics();
    QTRY_VERIFY_WITH_TIMEOUT(topics->model()->indexOfTopic(QStringLiteral("lab/freezer/temp")).isValid()
                                 && topics->model()->indexOfTopic(QStringLiteral("lab/room/temp")).isValid(),
                             10000);
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY(pub.connect());
    QVERIFY(pub.publish("lab/room/temp", R"({"temp":21.4,"unit":"C"})", 1));
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().written, quint64(1), 10000);

    // "Plot history" on the "lab" node: the History tab opens with lab/# and plots it.
    HistoryPanel *history = window.history();
    history->setField(QStringLiteral("/temp"));
    auto *range = history->findChild<QComboBox *>(QStringLiteral("historyRange"));
    QVERIFY(range);
    range->setCurrentIndex(2);   // last week
    QSignalSpy plotted(history, &HistoryPanel::plotted);
    window.tabs()->setCurrentWidget(topics);
    const QModelIndex lab = topics->model()->indexOfTopic(QStringLiteral("lab"));
    QVERIFY(lab.isValid());
    topics->selectTopic(QStringLiteral("lab"));
    auto *action = topics->view()->findChild<QAction *>(QStringLiteral("plotHistory"));
    QVERIFY(action);
    action->trigger();
    QCOMPARE(window.tabs()->currentWidget(), history);
    QTRY_VERIFY_WITH_TIMEOUT(!plotted.isEmpty(), 20000);
    HistoryResult week = history->result();
    QVERIFY2(week.ending == HistoryResult::Ending::Done, qPrintable(week.message));
    QCOMPARE(week.series.size(), 2);
    QCOMPARE(week.series[0].topic, QStringLiteral("lab/freezer/temp"));
    QCOMPARE(week.series[1].topic, QStringLiteral("lab/room/temp"));
    qint64 counted = 0;
    for (const HistoryBucket &b : week.series[0].buckets)
        counted += b.count;
    QCOMPARE(counted, qint64(Readings));   // the whole stored week of the freezer, each reading once
    QVERIFY(week.series[0].buckets.size() <= 2000);

    // Zoom into the day of the warm spell: a finer re-query that holds the spell's maximum.
    const int before = int(plotted.size());
    const QRectF area = history->chart()->plotArea();
    history->chart()->zoomIn(QRectF(area.left() + area.width() * 4 / 7, area.top(), area.width() / 7, area.height()));
    QTRY_VERIFY_WITH_TIMEOUT(plotted.size() > before
                                 && history->result().ending == HistoryResult::Ending::Done
                                 && history->result().bucketUs < week.bucketUs / 5,
                             20000);
    double hottest = -100;
    for (const HistoryBucket &b : history->result().series.value(0).buckets)
        hottest = std::max(hottest, b.max);
    QVERIFY2(hottest > -12.5, qPrintable(QString::number(hottest)));   // outside the spell at most -13.0

    if (const QString shot = qEnvironmentVariable("IOT_HISTORY_WINDOW_SCREENSHOT"); !shot.isEmpty()) {
        QTest::qWait(600);   // the legend's layout and a render of the health bar
        QVERIFY(window.grab().save(shot));
    }
    pub.disconnect();
    QSignalSpy stopped(&engine, &Engine::stopped);
    host.stop();
    QTRY_COMPARE_WITH_TIMEOUT(stopped.count(), 1, 20000);
}

QTEST_MAIN(TstHistoryWindow)
#include "tst_historywindow.moc"
