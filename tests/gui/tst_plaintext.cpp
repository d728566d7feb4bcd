// SPDX-License-Identifier: MIT
// Text from the network is shown as text: a topic and a payload that look like HTML (`<b>…<img src=…>`), a dead
// letter on such a topic, and a PostgreSQL error that quotes such a database name reach the window through a real
// engine, broker and server — every label that shows them is Qt::PlainText with the text verbatim, and every
// tooltip carries them escaped (so Qt can only render them literally). Needs the servers scripts/test.sh starts.
#include "config/configloader.h"
#include "deadlettermodel.h"
#include "engine.h"
#include "enginehost.h"
#include "eventtimeline.h"
#include "healthbar.h"
#include "mainwindow.h"
#include "problemspanel.h"
#include "publisher.h"
#include "settingsdialog.h"
#include "testenv.h"
#include "topicdetails.h"
#include "topicpanel.h"
#include "topictreemodel.h"

#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace iot;
using namespace iot::test;

namespace {

const QString Html = QStringLiteral("<b>bold<img src=\"x.png\">");
const QString Escaped = QStringLiteral("&lt;b&gt;bold&lt;img src=&quot;x.png&quot;&gt;");

struct Harness
{
    std::unique_ptr<Engine> engine;
    std::unique_ptr<EngineHost> host;
    std::unique_ptr<MainWindow> window;

    explicit Harness(const Config &config)
        : engine(std::make_unique<Engine>(config)),
          host(std::make_unique<EngineHost>(*engine)),
          window(std::make_unique<MainWindow>(*host))
    {
        window->show();
        if (const Status st = host->start(); !st)
            qWarning("engine did not start: %s", qPrintable(st.error().message));
    }
    ~Harness()
    {
        if (host->isRunning()) {
            QSignalSpy finished(host.get(), &EngineHost::finished);
            host->stop();
            finished.wait(30000);
        }
        window.reset();
        host.reset();
        engine.reset();
    }
};

Config load(const QString &toml)
{
    auto r = ConfigLoader::loadString(toml.toUtf8(), QStringLiteral("test.toml"));
    if (!r)
        qFatal("bad test config: %s", qPrintable(r.error().message));
    return r.value();
}

/// Labels of the window that show `needle`; each must render it literally.
QList<QLabel *> labelsShowing(QWidget *root, const QString &needle)
{
    QList<QLabel *> out;
    for (QLabel *l : root->findChildren<QLabel *>())
        if (l->text().contains(needle))
            out << l;
    return out;
}

/// Widgets whose tooltip holds `needle` unescaped: Qt would render it as rich text.
QStringList rawToolTips(QWidget *root, const QString &needle)
{
    QStringList out;
    for (QWidget *w : root->findChildren<QWidget *>())
        if (w->toolTip().contains(needle))
            out << w->objectName() + QStringLiteral(": ") + w->toolTip();
    return out;
}

} // namespace

class TstPlainText final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void topicsAndPayloadsAreText();
    void serverMessagesAreText();
};

void TstPlainText::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_plaintext"));
    QSettings().clear();
    SettingsDialog::setCloseAction(QStringLiteral("quit"));
}

void TstPlainText::topicsAndPayloadsAreText()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-plain-XXXXXX"));
    const QString tag = QStringLiteral("gui_plain");
    SubscriberSetup setup;
    setup.postgres = false;
    setup.database = dir.filePath(QStringLiteral("r.sqlite"));
    setup.topic = tag + QStringLiteral("/#");
    setup.clientId = tag;
    Harness h(load(subscriberConfig(srv, setup)
                   + QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")))));
    QTRY_VERIFY_WITH_TIMEOUT(h.window->health()->mqttText().startsWith(QStringLiteral("Connected to ")), 15000);

    const QString topic = tag + QStringLiteral("/") + Html;
    const QString deadTopic = tag + QStringLiteral("/dead") + Html;
    PublishOptions po;
    po.host = srv.mqttHost;
    po.port = srv.mqttPort;
    Publisher pub(po);
    QVERIFY2(pub.connect(), qPrintable(pub.lastError()));
    QVERIFY(pub.publish(topic.toUtf8(), "{\"note\": \"<b>x</b><img src=\\\"y.png\\\">\", \"v\": 2.5}", 1));
    QVERIFY(pub.publish(deadTopic.toUtf8(), "not json <b>x</b>", 1));
    QVERIFY(pub.waitAllDelivered(10000));
    pub.disconnect();

    // The topic tree: shown as the text it is, tooltip escaped.
    TopicPanel *topics = h.window->topics();
    TopicTreeModel *model = topics->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->indexOfTopic(topic).isValid(), 20000);
    const QModelIndex index = model->indexOfTopic(topic);
    QCOMPARE(index.data(Qt::DisplayRole).toString(), Html);
    const QString treeTip = index.data(Qt::ToolTipRole).toString();
    QVERIFY2(treeTip.contains(Escaped) && !treeTip.contains(Html), qPrintable(treeTip));

    // The details: the title label is plain text and says the topic verbatim; the payload as written.
    h.window->tabs()->setCurrentIndex(1);
    topics->selectTopic(topic);
    TopicDetails *details = topics->details();
    QTRY_VERIFY(details->payloadText().contains(QStringLiteral("<b>x</b><img src=\\\"y.png\\\">")));
    auto *title = details->findChild<QLabel *>(QStringLiteral("topicTitle"));
    QVERIFY(title);
    QCOMPARE(title->text(), topic);
    QCOMPARE(title->textFormat(), Qt::PlainText);

    // The dead letter: topic shown verbatim, tooltips escaped.
    DeadLetterModel *dead = h.window->problems()->deadLetters();
    QTRY_COMPARE_WITH_TIMEOUT(dead->rowCount(), 1, 20000);
    const QModelIndex deadIndex = dead->index(0, DeadLetterModel::TopicColumn);
    QCOMPARE(deadIndex.data(Qt::DisplayRole).toString(), deadTopic);
    const QString deadTip = deadIndex.data(Qt::ToolTipRole).toString();
    QVERIFY2(deadTip.contains(Escaped) && !deadTip.contains(Html), qPrintable(deadTip));

    // Whatever else shows it: literal.
    const QList<QLabel *> labels = labelsShowing(h.window.get(), Html);
    QVERIFY(!labels.isEmpty());
    for (QLabel *l : labels)
        QVERIFY2(l->textFormat() == Qt::PlainText, qPrintable(l->objectName() + QStringLiteral(": ") + l->text()));
    const QStringList raw = rawToolTips(h.window.get(), Html);
    QVERIFY2(raw.isEmpty(), qPrintable(raw.join(u'\n')));
}

void TstPlainText::serverMessagesAreText()
{
    IOT_REQUIRE_SERVERS(srv);
    QTemporaryDir dir(srv.tmp + QStringLiteral("/gui-plain-XXXXXX"));
    SubscriberSetup setup;
    setup.postgres = true;
    // PostgreSQL quotes the name back: 'database "<b>bold<img src="x.png">" does not exist'.
    setup.database = QStringLiteral("<b>bold<img src=x.png>");
    setup.topic = QStringLiteral("gui_plain_db/#");
    setup.clientId = QStringLiteral("gui_plain_db");
    setup.retryDelay = 0.5;
    Harness h(load(subscriberConfig(srv, setup)
                   + QStringLiteral("\n[spool]\ndir = \"%1\"\n").arg(dir.filePath(QStringLiteral("spool")))));
    const QString html = QStringLiteral("<b>bold<img src=x.png>");
    const QString escaped = QStringLiteral("&lt;b&gt;bold&lt;img src=x.png&gt;");
    HealthBar *health = h.window->health();
    auto *words = health->findChild<QLabel *>(QStringLiteral("dbState"));
    QVERIFY(words);
    // The words may be cut short; the tooltip has the server's whole message.
    QTRY_VERIFY2_WITH_TIMEOUT(words->toolTip().contains(escaped), qPrintable(words->toolTip()), 20000);
    QVERIFY2(!words->toolTip().contains(html), qPrintable(words->toolTip()));
    QCOMPARE(words->textFormat(), Qt::PlainText);
    QVERIFY(health->databaseText().contains(QStringLiteral("<b>bold")) || health->databaseText().endsWith(u'…'));

    // The event timeline's entry for it: tooltip escaped too.
    auto *list = h.window->events()->findChild<QTreeWidget *>();
    QVERIFY(list);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int i = 0; i < list->topLevelItemCount(); ++i)
                if (list->topLevelItem(i)->text(2).contains(html))
                    return true;
            return false;
        }(),
        20000);
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        const QString tip = list->topLevelItem(i)->toolTip(2);
        QVERIFY2(!tip.contains(html), qPrintable(tip));
        if (list->topLevelItem(i)->text(2).contains(html))
            QVERIFY2(tip.contains(escaped), qPrintable(tip));
    }
    for (QLabel *l : labelsShowing(h.window.get(), html))
        QVERIFY2(l->textFormat() == Qt::PlainText, qPrintable(l->objectName() + QStringLiteral(": ") + l->text()));
    const QStringList raw = rawToolTips(h.window.get(), html);
    QVERIFY2(raw.isEmpty(), qPrintable(raw.join(u'\n')));
}

QTEST_MAIN(TstPlainText)
#include "tst_plaintext.moc"
