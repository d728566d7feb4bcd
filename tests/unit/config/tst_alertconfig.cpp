// SPDX-License-Identifier: MIT
// [[alerts]] and [alerting]: each kind of rule read into AlertRule, and each mistake reported at its place.
#include "config/configloader.h"

#include <QProcessEnvironment>
#include <QTest>

using namespace iot;

class TstAlertConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void kinds();
    void mappedColumn();
    void alerting();
    void errors_data();
    void errors();
};

namespace {

Result<Config> load(const QByteArray &toml)
{
    return ConfigLoader::loadString(toml, QStringLiteral("config.toml"), QProcessEnvironment());
}

} // namespace

void TstAlertConfig::kinds()
{
    const auto c = load(R"([[alerts]]
name = "freezer warm"
topic = "lab/+/freezer"
field = "/temp"
above = -15
for_sec = 30
hysteresis = 2.5
severity = "critical"
summary = "Freezer above -15 °C"

[[alerts]]
name = "band"
topic = "lab/#"
field = "/rh"
outside = [20, 60.5]

[[alerts]]
name = "quiet"
topic = "lab/+/freezer"
stale_after_sec = 120

[[alerts]]
name = "db"
db_not_writing_sec = 60

[[alerts]]
name = "dl"
dead_letters_per_min_above = 10

[[alerts]]
name = "spool"
spool_percent_above = 80

[[alerts]]
name = "backlog"
backlog_above = 50000
)");
    QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().message));
    const QList<AlertRule> &a = c.value().alerts;
    QCOMPARE(a.size(), 7);
    QCOMPARE(a[0].kind, AlertRule::Kind::Value);
    QCOMPARE(a[0].condition, AlertRule::Condition::Above);
    QCOMPARE(a[0].threshold, -15.0);
    QCOMPARE(a[0].pointer, QStringLiteral("/temp"));
    QCOMPARE(a[0].forSec, 30.0);
    QCOMPARE(a[0].hysteresis, 2.5);
    QCOMPARE(a[0].severity, QStringLiteral("critical"));
    QCOMPARE(a[0].summary, QStringLiteral("Freezer above -15 °C"));
    QCOMPARE(a[1].condition, AlertRule::Condition::Outside);
    QCOMPARE(a[1].low, 20.0);
    QCOMPARE(a[1].high, 60.5);
    QCOMPARE(a[1].severity, QStringLiteral("warning"));
    QCOMPARE(a[2].kind, AlertRule::Kind::Stale);
    QCOMPARE(a[2].staleAfterSec, 120.0);
    QCOMPARE(a[3].kind, AlertRule::Kind::DbNotWriting);
    QCOMPARE(a[3].limit, 60.0);
    QCOMPARE(a[4].kind, AlertRule::Kind::DeadLettersPerMin);
    QCOMPARE(a[5].kind, AlertRule::Kind::SpoolPercent);
    QCOMPARE(a[6].kind, AlertRule::Kind::Backlog);
    QCOMPARE(a[6].limit, 50000.0);

    // --check-config prints them back as loadable TOML: the same rules again.
    const QString printed = ConfigLoader::toToml(c.value(), false);
    const auto again = load(printed.toUtf8());
    QVERIFY2(again.ok(), qPrintable(again.ok() ? printed : again.error().message + u'\n' + printed));
    QCOMPARE(again.value().alerts, a);
    QCOMPARE(again.value().alerting, c.value().alerting);
}

void TstAlertConfig::mappedColumn()
{
    const auto c = load(R"([[mappings]]
name = "climate"
topics = ["lab/{room}/climate"]
table = "climate"
[[mappings.columns]]
name = "temperature"
source = "/t/value"
type = "double"
[[mappings.columns]]
name = "room"
source = "topic:room"

[[alerts]]
name = "hot"
topic = "lab/+/climate"
field = "temperature"
equals = 1
)");
    QVERIFY2(c.ok(), c.ok() ? "" : qPrintable(c.error().message));
    QCOMPARE(c.value().alerts[0].pointer, QStringLiteral("/t/value"));
    QCOMPARE(c.value().alerts[0].condition, AlertRule::Condition::Equals);

    const auto bad = load(R"([[mappings]]
name = "climate"
topics = ["lab/{room}/climate"]
table = "climate"
[[mappings.columns]]
name = "room"
source = "topic:room"

[[alerts]]
name = "x"
topic = "lab/#"
field = "room"
above = 1
)");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().message, QStringLiteral("config.toml:12:9: alerts[0].field: column room of mapping climate "
                                                 "does not come from the payload"));
}

void TstAlertConfig::alerting()
{
    const auto c = load("[alerting]\nalertmanager_url = \"http://127.0.0.1:9093\"\nresend_interval_sec = 5\n"
                        "max_topics_per_rule = 7\n");
    QVERIFY(c.ok());
    QCOMPARE(c.value().alerting.alertmanagerUrl, QStringLiteral("http://127.0.0.1:9093"));
    QCOMPARE(c.value().alerting.resendIntervalSec, 5.0);
    QCOMPARE(c.value().alerting.maxTopicsPerRule, 7);
    QCOMPARE(load("").value().alerting.resendIntervalSec, 60.0);

    // Credentials in the URL never reach --check-config's output.
    const auto secret = load("[alerting]\nalertmanager_url = \"https://am:s3cretpw@am.example:9093\"\n");
    QVERIFY(secret.ok());
    const QString printed = ConfigLoader::toToml(secret.value());
    QVERIFY2(!printed.contains(QStringLiteral("s3cretpw")), qPrintable(printed));
    QVERIFY(ConfigLoader::toToml(secret.value(), false).contains(QStringLiteral("s3cretpw")));
}

void TstAlertConfig::errors_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no condition") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"x\"\n")
        << QStringLiteral("config.toml:1:1: alerts[0]: a rule needs one of above, below, outside, equals (with topic "
                          "and field), stale_after_sec (with topic), db_not_writing_sec, backlog_above, "
                          "dead_letters_per_min_above or spool_percent_above");
    QTest::newRow("two conditions") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"x\"\nfield = \"/v\"\n"
                                                  "above = 1\nbelow = 0\n")
        << QStringLiteral("config.toml:6:9: alerts[0].below: one condition per rule (above is given already)");
    QTest::newRow("duplicate name") << QByteArray("[[alerts]]\nname = \"a\"\nbacklog_above = 1\n"
                                                  "[[alerts]]\nname = \"a\"\nbacklog_above = 2\n")
        << QStringLiteral("config.toml:5:8: alerts[1].name: another alert is named \"a\" already");
    QTest::newRow("bad filter") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"x/#/y\"\nstale_after_sec = 5\n")
        << QStringLiteral("config.toml:3:9: alerts[0].topic: invalid topic filter \"x/#/y\": '#' must be the last "
                          "level");
    QTest::newRow("missing topic") << QByteArray("[[alerts]]\nname = \"a\"\nfield = \"/v\"\nabove = 1\n")
        << QStringLiteral("config.toml:1:1: alerts[0]: missing key \"topic\"");
    QTest::newRow("missing field") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"t\"\nabove = 1\n")
        << QStringLiteral("config.toml:1:1: alerts[0]: missing key \"field\" (a JSON pointer such as \"/temp\")");
    QTest::newRow("unknown field") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"t\"\nfield = \"temp\"\n"
                                                 "above = 1\n")
        << QStringLiteral("config.toml:4:9: alerts[0].field: expected a JSON pointer (\"/temp\") or a column of a "
                          "[[mappings]] rule, got \"temp\"");
    QTest::newRow("outside reversed") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"t\"\nfield = \"/v\"\n"
                                                    "outside = [5, 1]\n")
        << QStringLiteral("config.toml:5:11: alerts[0].outside: expected [low, high] with low < high, got [5, 1]");
    QTest::newRow("outside with nan") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"t\"\nfield = \"/v\"\n"
                                                    "outside = [nan, 1]\n")
        << QStringLiteral("config.toml:5:11: alerts[0].outside: expected [low, high] with low < high, got [nan, 1]");
    QTest::newRow("topic on pipeline rule") << QByteArray("[[alerts]]\nname = \"a\"\ntopic = \"t\"\n"
                                                          "backlog_above = 5\n")
        << QStringLiteral("config.toml:3:9: alerts[0].topic: a pipeline rule has no topic");
    QTest::newRow("spool over 100") << QByteArray("[[alerts]]\nname = \"a\"\nspool_percent_above = 101\n")
        << QStringLiteral("config.toml:3:23: alerts[0].spool_percent_above: expected a percentage from 0 to 100, "
                          "got 101");
    QTest::newRow("negative for_sec") << QByteArray("[[alerts]]\nname = \"a\"\nbacklog_above = 5\nfor_sec = -1\n")
        << QStringLiteral("config.toml:4:11: alerts[0].for_sec: expected a number of seconds from 0 to 86400, "
                          "got -1");
    QTest::newRow("unknown key") << QByteArray("[[alerts]]\nname = \"a\"\nbacklog_above = 5\nfor_secs = 1\n")
        << QString();
    QTest::newRow("bad url") << QByteArray("[alerting]\nalertmanager_url = \"ftp://x\"\n")
        << QStringLiteral("config.toml:2:20: alerting.alertmanager_url: expected an http:// or https:// URL (or \"\" "
                          "for none), got \"ftp://x\"");
    QTest::newRow("not an array") << QByteArray("[alerts]\nname = \"a\"\n")
        << QStringLiteral("config.toml:1:1: alerts: expected [[alerts]] tables, got { name = \"a\" }");
}

void TstAlertConfig::errors()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, expected);
    const Result<Config> result = load(toml);
    QVERIFY(!result.ok());
    if (expected.isEmpty())   // the unknown-key wording is TomlReader's; only the place is ours
        QVERIFY2(result.error().message.startsWith(QStringLiteral("config.toml:4:1: ")),
                 qPrintable(result.error().message));
    else
        QCOMPARE(result.error().message, expected);
}

QTEST_APPLESS_MAIN(TstAlertConfig)
#include "tst_alertconfig.moc"
