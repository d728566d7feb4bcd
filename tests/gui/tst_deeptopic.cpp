// SPDX-License-Identifier: MIT
// MQTT's longest topic (65,535 bytes in 32,000 levels) arriving while the monitor window is open over a real engine
// and PostgreSQL: the process stays alive, its memory grows by little (the topic tree used to keep every level's
// full prefix, ~2 GiB for this one topic on the GUI thread), and the reading is stored. The message comes from the
// engine's source seam, not from the test broker: mosquitto 2.0 drops topics of more than 200 levels (other
// brokers pass them on), so it could never bring this one.
#include "config/configloader.h"
#include "engine.h"
#include "enginehost.h"
#include "fakemessagesource.h"
#include "mainwindow.h"
#include "readingsprobe.h"
#include "settingsdialog.h"
#include "testenv.h"
#include "topicdetails.h"
#include "topicfilterproxy.h"
#include "topicpanel.h"
#include "topictreemodel.h"

#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace iot;
using namespace iot::test;

namespace {

/// Delivers one message on the ingest thread, where the source lives.
bool deliver(FakeMessageSource *source, const QByteArray &topic, const QByteArray &payload)
{
    bool ok = false;
    QMetaObject::invokeMethod(source, [&] { ok = source->publishRaw(topic, payload); }, Qt::BlockingQueuedConnection);
    return ok;
}

/// A line of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 when missing.
qint64 statusKiB(const QByteArray &key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(QByteArray(key + ':')))
            return line.mid(key.size() + 1).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

} // namespace

class TstDeepTopic final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void longestTopicWithTheWindowOpen();
};

void TstDeepTopic::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_deeptopic"));
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
}

void TstDeepTopic::longestTopicWithTheWindowOpen()
{
    IOT_REQUIRE_SERVERS(srv);
    const QString tag = QStringLiteral("deep_topic");
    ReadingsProbe probe = ReadingsProbe::freshPostgres(srv, tag);
    QVERIFY2(probe.error().isEmpty(), qPrintable(probe.error()));
    QTemporaryDir dir(srv.tmp + QStringLiteral("/deep-XXXXXX"));
    SubscriberSetup setup;
    setup.database = tag;
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    const auto config = ConfigLoader::loadString(
        (subscriberConfig(srv, setup) + QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.path())).toUtf8(),
        QStringLiteral("test.toml"));
    QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));

    Engine engine(config.value());
    std::atomic<FakeMessageSource *> source = nullptr;
    engine.setSourceFactory([&source] {
        auto s = std::make_unique<FakeMessageSource>();
        source = s.get();
        return s;
    });
    EngineHost host(engine);
    MainWindow window(host);
    window.show();
    QVERIFY(host.start().ok());
    QTRY_COMPARE_WITH_TIMEOUT(engine.snapshot().mqtt.state, MessageSource::State::Connected, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(engine.snapshot().db.state == BatchWriter::State::Connected, 15000);
    window.tabs()->setCurrentIndex(1);  // the Topics tab, so the tree view is on screen
    TopicPanel *topics = window.topics();
    TopicTreeModel *model = topics->model();

    QTRY_VERIFY(source.load() && source.load()->wasStarted());
    // A warm-up reading: the window has drawn a tree row, the pipeline has committed once.
    QVERIFY(deliver(source, tag.toUtf8() + "/warm", R"({"seq":1})"));
    QTRY_COMPARE_WITH_TIMEOUT(model->topicCount(), 1, 15000);
    QTest::qWait(500);  // one more refresh of every panel before the baseline
    const qint64 rssBefore = statusKiB("VmRSS");
    const qint64 peakBefore = statusKiB("VmHWM");
    QVERIFY(rssBefore > 0 && peakBefore > 0);

    QByteArray deep = tag.toUtf8();
    for (int i = 1; i < 32000; ++i)
        deep += "/l";
    deep += '/' + QByteArray(65535 - deep.size() - 1, 'e');
    QCOMPARE(deep.size(), qsizetype(65535));
    QVERIFY(deliver(source, deep, R"({"seq":2})"));
    QVERIFY(deliver(source, tag.toUtf8() + "/after", R"({"seq":3})"));

    QTRY_COMPARE_WITH_TIMEOUT(model->topicCount(), 3, 20000);
    const QString deepTopic = QString::fromUtf8(deep);
    QVERIFY(model->indexOfTopic(deepTopic).isValid());
    topics->selectTopic(deepTopic);   // details, tooltip and filter build the full topic on demand
    QTRY_VERIFY(topics->details()->payloadText().contains(QStringLiteral("\"seq\": 2")));
    topics->proxy()->setFilterText(QStringLiteral("eeee"));
    QTest::qWait(500);
    topics->proxy()->setFilterText(QString());

    // Stored like any reading (the readings table has no index on topic to refuse it).
    QTRY_COMPARE_WITH_TIMEOUT(probe.count(), qint64(3), 20000);
    QCOMPARE(probe.scalar(QStringLiteral("SELECT count(*) FROM readings WHERE length(topic) = 65535")),
             QStringLiteral("1"));
    QCOMPARE(engine.snapshot().deadLettered, quint64(0));

    const qint64 rssAfter = statusKiB("VmRSS");
    const qint64 peakAfter = statusKiB("VmHWM");
    qInfo("RSS %lld -> %lld KiB, peak %lld -> %lld KiB", rssBefore, rssAfter, peakBefore, peakAfter);
    // Generous: the tree's 32 nodes and the copies of the message are well under a MiB, and laying out a 64 KiB
    // name on screen took 7 to 40 MiB in our runs; the full-prefix tree needed ~2 GiB.
    QVERIFY2(peakAfter - peakBefore < 256 * 1024, qPrintable(QString::number(peakAfter - peakBefore)));
    QVERIFY2(rssAfter - rssBefore < 256 * 1024, qPrintable(QString::number(rssAfter - rssBefore)));

    QSignalSpy finished(&host, &EngineHost::finished);
    host.stop();
    QVERIFY(finished.wait(30000));
}

QTEST_MAIN(TstDeepTopic)
#include "tst_deeptopic.moc"
