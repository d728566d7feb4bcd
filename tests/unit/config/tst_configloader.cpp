// SPDX-License-Identifier: MIT
#include "config/configloader.h"
#include "config/secrets.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QTest>

using namespace iot;

namespace {

QProcessEnvironment noEnv()
{
    return QProcessEnvironment();
}

QString sourcePath(const QString &relative)
{
    const QString root = qEnvironmentVariable("IOT_SOURCE_DIR");
    if (!root.isEmpty())
        return root + u'/' + relative;
    return QFINDTESTDATA(QStringLiteral("../../../") + relative);
}

QByteArray readSource(const QString &relative)
{
    QFile file(sourcePath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read test data %s", qPrintable(relative));
    return file.readAll();
}

// The "Configuration Example" of the Python service's README, verbatim: it must keep working.
QByteArray referenceExampleToml()
{
    return readSource(QStringLiteral("tests/unit/config/data/reference-example.toml"));
}

// A config that moves every key away from its default, for the round trip.
QByteArray everythingChangedToml()
{
    return readSource(QStringLiteral("tests/unit/config/data/everything-changed.toml"));
}

// The `key = value` line of `section` in the printed config: the values tests read the effective config through
// the same text --check-config shows.
QString effectiveLine(const Config &config, const QString &section, const QString &key)
{
    const QStringList lines = ConfigLoader::toToml(config, false).split(u'\n');
    QString current;
    for (const QString &line : lines) {
        if (line.startsWith(u'['))
            current = line.mid(1, line.size() - 2);
        else if (current == section && line.startsWith(key + QStringLiteral(" = ")))
            return line;
    }
    return QString();
}

} // namespace

/// Loading, validating and printing config.toml.
/// Pure logic, run on the test's main thread.
class TstConfigLoader final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void referenceExample();
    void shippedFiles_data();
    void shippedFiles();
    void embeddedDefaultsMatchConfigH();
    void values_data();
    void values();
    void errors_data();
    void errors();
    void unreadableFile_data();
    void unreadableFile();
    void environment_data();
    void environment();
    void observabilityToken();
    void roundTrip_data();
    void roundTrip();
    void maskedSecrets();
    void environmentSecretsAreNamed();
    void maskedUrls_data();
    void maskedUrls();
    void maskedText_data();
    void maskedText();
    void topicFilters_data();
    void topicFilters();
    void sqlIdentifiers_data();
    void sqlIdentifiers();
};

void TstConfigLoader::referenceExample()
{
    const Result<Config> result = ConfigLoader::loadString(referenceExampleToml(), QStringLiteral("config.toml"), noEnv());
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    const Config &c = result.value();
    QCOMPARE(c.sourceFile, QStringLiteral("config.toml"));
    QCOMPARE(c.mqtt.host, QStringLiteral("mqtt"));
    QCOMPARE(c.mqtt.port, 1883);
    QCOMPARE(c.mqtt.topics, (QList<TopicFilter>{{QStringLiteral("sensors/#"), 0}}));
    QCOMPARE(c.database.driver, DbDriver::Postgres);
    QCOMPARE(c.database.name, QStringLiteral("iot_ml_lab"));
    QCOMPARE(c.database.user, QStringLiteral("lab_admin"));
    QCOMPARE(c.database.password, QStringLiteral("changeme"));
    QCOMPARE(c.database.host, QStringLiteral("postgresql"));
    QCOMPARE(c.database.port, 5432);
    QCOMPARE(c.subscriber.batchSize, 20);
    QCOMPARE(c.subscriber.flushIntervalSec, 5.0);
    QCOMPARE(c.subscriber.mqttReconnDelaySec, 5.0);
    QCOMPARE(c.subscriber.errorRetryDelaySec, 5.0);
    QCOMPARE(c.observability.traceEndpoint, QStringLiteral("http://otel-collector:4318/v1/traces"));
    QCOMPARE(c.observability.serviceName, QStringLiteral("iot-subscriber"));
    QCOMPARE(c.observability.prometheusPort, 8001);
}

void TstConfigLoader::shippedFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<DbDriver>("driver");
    QTest::addColumn<QString>("mqttHost");
    QTest::newRow("config.toml") << QStringLiteral("config/config.toml") << DbDriver::Sqlite
                                 << QStringLiteral("localhost");
    QTest::newRow("alerts.example.toml") << QStringLiteral("config/alerts.example.toml") << DbDriver::Sqlite
                                         << QStringLiteral("localhost");
    QTest::newRow("postgres.example.toml") << QStringLiteral("config/postgres.example.toml") << DbDriver::Postgres
                                           << QStringLiteral("mqtt");
}

void TstConfigLoader::shippedFiles()
{
    QFETCH(QString, file);
    QFETCH(DbDriver, driver);
    QFETCH(QString, mqttHost);
    const QString path = sourcePath(file);
    const Result<Config> result = ConfigLoader::loadFile(path, noEnv());
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    QCOMPARE(result.value().sourceFile, path);
    QCOMPARE(result.value().database.driver, driver);
    QCOMPARE(result.value().mqtt.host, mqttHost);
}

void TstConfigLoader::embeddedDefaultsMatchConfigH()
{
    // config/config.toml documents the defaults; it must not drift from the structs the engine falls back on.
    const Result<Config> result = ConfigLoader::loadFile(sourcePath(QStringLiteral("config/config.toml")), noEnv());
    QVERIFY(result.ok());
    Config loaded = result.value();
    loaded.sourceFile.clear();
    QCOMPARE(ConfigLoader::toToml(loaded, false), ConfigLoader::toToml(ConfigLoader::defaults(noEnv()), false));
    QVERIFY(loaded == ConfigLoader::defaults(noEnv()));
    QVERIFY(Config{} == ConfigLoader::loadString(QByteArray(), QString(), noEnv()).value());
}

void TstConfigLoader::values_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("section");
    QTest::addColumn<QString>("expected");

    const QString mqtt = QStringLiteral("mqtt");
    const QString db = QStringLiteral("database");
    const QString sub = QStringLiteral("subscriber");
    const QString obs = QStringLiteral("observability");

    QTest::newRow("protocol int 5") << QByteArray("[mqtt]\nprotocol = 5") << mqtt << QStringLiteral("protocol = \"5\"");
    QTest::newRow("protocol int 4") << QByteArray("[mqtt]\nprotocol = 4") << mqtt
                                    << QStringLiteral("protocol = \"3.1.1\"");
    QTest::newRow("protocol \"5\"") << QByteArray("[mqtt]\nprotocol = \"5\"") << mqtt
                                    << QStringLiteral("protocol = \"5\"");
    QTest::newRow("topic and qos") << QByteArray("[mqtt]\ntopic = \"a/#\"\nqos = 0") << mqtt
                                   << QStringLiteral("topics = [{ filter = \"a/#\", qos = 0 }]");
    QTest::newRow("topic without qos: QoS 1") << QByteArray("[mqtt]\ntopic = \"a/#\"") << mqtt
                                              << QStringLiteral("topics = [{ filter = \"a/#\", qos = 1 }]");
    QTest::newRow("qos alone re-levels the default topic")
        << QByteArray("[mqtt]\nqos = 2") << mqtt << QStringLiteral("topics = [{ filter = \"sensors/#\", qos = 2 }]");
    QTest::newRow("topic and topics: union")
        << QByteArray("[mqtt]\ntopic = \"a/#\"\nqos = 2\ntopics = [\"b/+\", { filter = \"$share/g/c/#\", qos = 0 }]")
        << mqtt
        << QStringLiteral("topics = [{ filter = \"a/#\", qos = 2 }, { filter = \"b/+\", qos = 2 }, "
                          "{ filter = \"$share/g/c/#\", qos = 0 }]");
    QTest::newRow("topics alone replace the default") << QByteArray("[mqtt]\ntopics = [\"x\"]") << mqtt
                                                      << QStringLiteral("topics = [{ filter = \"x\", qos = 1 }]");
    QTest::newRow("topics as array of tables")
        << QByteArray("[[mqtt.topics]]\nfilter = \"t/#\"\nqos = 2\n[[mqtt.topics]]\nfilter = \"u\"") << mqtt
        << QStringLiteral("topics = [{ filter = \"t/#\", qos = 2 }, { filter = \"u\", qos = 1 }]");
    QTest::newRow("topic with empty topics") << QByteArray("[mqtt]\ntopic = \"a\"\ntopics = []") << mqtt
                                             << QStringLiteral("topics = [{ filter = \"a\", qos = 1 }]");
    QTest::newRow("wildcards alone") << QByteArray("[mqtt]\ntopic = \"+/+/#\"") << mqtt
                                     << QStringLiteral("topics = [{ filter = \"+/+/#\", qos = 1 }]");

    QTest::newRow("server keys imply postgresql") << QByteArray("[database]\nhost = \"db\"") << db
                                                  << QStringLiteral("driver = \"postgresql\"");
    QTest::newRow("password alone implies postgresql") << QByteArray("[database]\npassword = \"x\"") << db
                                                       << QStringLiteral("driver = \"postgresql\"");
    QTest::newRow("path alone stays sqlite") << QByteArray("[database]\npath = \"x.db\"") << db
                                             << QStringLiteral("driver = \"sqlite\"");
    QTest::newRow("empty section stays sqlite") << QByteArray("[database]\n") << db
                                                << QStringLiteral("driver = \"sqlite\"");
    QTest::newRow("alias postgres") << QByteArray("[database]\ndriver = \"postgres\"") << db
                                    << QStringLiteral("driver = \"postgresql\"");
    QTest::newRow("explicit sqlite wins") << QByteArray("[database]\nname = \"n\"\ndriver = \"sqlite\"") << db
                                          << QStringLiteral("driver = \"sqlite\"");
    QTest::newRow("schema-qualified table") << QByteArray("[database]\ntable = \"iot.readings\"") << db
                                            << QStringLiteral("table = \"iot.readings\"");
    QTest::newRow("sslmode") << QByteArray("[database]\nsslmode = \"verify-full\"") << db
                             << QStringLiteral("sslmode = \"verify-full\"");

    QTest::newRow("integer seconds") << QByteArray("[subscriber]\nflush_interval = 5") << sub
                                     << QStringLiteral("flush_interval = 5.0");
    QTest::newRow("fractional seconds") << QByteArray("[subscriber]\nflush_interval = 0.25") << sub
                                        << QStringLiteral("flush_interval = 0.25");
    QTest::newRow("long base delay lifts the default cap")
        << QByteArray("[subscriber]\nmqtt_reconn_delay_sec = 120") << sub
        << QStringLiteral("mqtt_reconn_max_delay_sec = 120.0");
    QTest::newRow("big batch lifts the default buffer")
        << QByteArray("[subscriber]\nbatch_size = 300000") << sub << QStringLiteral("max_buffered_messages = 300000");
    QTest::newRow("stats off") << QByteArray("[subscriber]\nstats_log_interval_sec = 0") << sub
                               << QStringLiteral("stats_log_interval_sec = 0.0");
    QTest::newRow("256 MiB payloads") << QByteArray("[subscriber]\nmax_payload_bytes = 268435456") << sub
                                      << QStringLiteral("max_payload_bytes = 268435456");

    QTest::newRow("metrics off") << QByteArray("[observability]\nprometheus_port = 0") << obs
                                 << QStringLiteral("prometheus_port = 0");
    QTest::newRow("https traces") << QByteArray("[observability]\ntrace_endpoint = \"https://c:4318/v1/traces\"")
                                  << obs << QStringLiteral("trace_endpoint = \"https://c:4318/v1/traces\"");
    QTest::newRow("metrics token file") << QByteArray("[observability]\nauth_token_file = \"/etc/t\"") << obs
                                        << QStringLiteral("auth_token_file = \"/etc/t\"");
    QTest::newRow("metrics TLS")
        << QByteArray("[observability]\ntls_cert_file = \"/etc/c.pem\"\ntls_key_file = \"/etc/c.key\"") << obs
        << QStringLiteral("tls_key_file = \"/etc/c.key\"");
}

void TstConfigLoader::values()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, section);
    QFETCH(QString, expected);
    const Result<Config> result = ConfigLoader::loadString(toml, QStringLiteral("config.toml"), noEnv());
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    const QString key = expected.section(u' ', 0, 0);
    QCOMPARE(effectiveLine(result.value(), section, key), expected);
}

void TstConfigLoader::errors_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("expected");

    // wrong types
    QTest::newRow("string for integer") << QByteArray("[subscriber]\nbatch_size = \"20\"")
        << QStringLiteral("config.toml:2:14: subscriber.batch_size: expected a positive integer, got \"20\"");
    QTest::newRow("float for integer") << QByteArray("[subscriber]\nbatch_size = 20.0")
        << QStringLiteral("config.toml:2:14: subscriber.batch_size: expected a positive integer, got 20.0");
    QTest::newRow("integer for boolean") << QByteArray("[mqtt]\ntls = 3")
        << QStringLiteral("config.toml:2:7: mqtt.tls: expected a boolean, got 3");
    QTest::newRow("integer for string") << QByteArray("[mqtt]\nclient_id = 5")
        << QStringLiteral("config.toml:2:13: mqtt.client_id: expected a string, got 5");
    QTest::newRow("empty host") << QByteArray("[mqtt]\nhost = \"\"")
        << QStringLiteral("config.toml:2:8: mqtt.host: expected a non-empty string, got \"\"");
    QTest::newRow("string for seconds") << QByteArray("[subscriber]\nflush_interval = \"5\"")
        << QStringLiteral("config.toml:2:18: subscriber.flush_interval: expected a positive number of seconds "
                          "(at most 86400), got \"5\"");
    QTest::newRow("scalar for section") << QByteArray("mqtt = 5")
        << QStringLiteral("config.toml:1:8: mqtt: expected a table, got 5");
    QTest::newRow("secret value not echoed") << QByteArray("[database]\npassword = 12345")
        << QStringLiteral("config.toml:2:12: database.password: expected a string, got an integer");
    QTest::newRow("table for string") << QByteArray("[mqtt]\nhost = { name = \"x\" }")
        << QStringLiteral("config.toml:2:8: mqtt.host: expected a non-empty string, got { name = \"x\" }");

    // ranges
    QTest::newRow("zero batch") << QByteArray("[subscriber]\nbatch_size = 0")
        << QStringLiteral("config.toml:2:14: subscriber.batch_size: expected a positive integer, got 0");
    QTest::newRow("port too big") << QByteArray("[mqtt]\nport = 70000")
        << QStringLiteral("config.toml:2:8: mqtt.port: expected an integer from 1 to 65535, got 70000");
    QTest::newRow("qos 3") << QByteArray("[mqtt]\nqos = 3")
        << QStringLiteral("config.toml:2:7: mqtt.qos: expected an integer from 0 to 2, got 3");
    QTest::newRow("keepalive too short") << QByteArray("[mqtt]\nkeepalive = 1")
        << QStringLiteral("config.toml:2:13: mqtt.keepalive: expected an integer from 5 to 65535, got 1");
    QTest::newRow("zero flush interval") << QByteArray("[subscriber]\nflush_interval = 0")
        << QStringLiteral("config.toml:2:18: subscriber.flush_interval: expected a positive number of seconds "
                          "(at most 86400), got 0");
    QTest::newRow("nan seconds") << QByteArray("[subscriber]\nerror_retry_delay_sec = nan")
        << QStringLiteral("config.toml:2:25: subscriber.error_retry_delay_sec: expected a positive number of "
                          "seconds (at most 86400), got nan");
    QTest::newRow("max delay below base") << QByteArray("[subscriber]\nmqtt_reconn_delay_sec = 10\n"
                                                        "mqtt_reconn_max_delay_sec = 2")
        << QStringLiteral("config.toml:3:29: subscriber.mqtt_reconn_max_delay_sec: expected a number of seconds "
                          "from mqtt_reconn_delay_sec (10.0) to 86400, got 2");
    QTest::newRow("buffer below batch") << QByteArray("[subscriber]\nbatch_size = 100\nmax_buffered_messages = 50")
        << QStringLiteral("config.toml:3:25: subscriber.max_buffered_messages: expected an integer >= batch_size "
                          "(100), got 50");
    QTest::newRow("no memory for buffering") << QByteArray("[subscriber]\nmax_buffered_mb = 0")
        << QStringLiteral("config.toml:2:19: subscriber.max_buffered_mb: expected an integer number of MiB from 1 to "
                          "1048576, got 0");
    QTest::newRow("payload limit") << QByteArray("[subscriber]\nmax_payload_bytes = 268435457")
        << QStringLiteral("config.toml:2:21: subscriber.max_payload_bytes: expected a positive integer up to "
                          "268435456 (256 MiB), got 268435457");
    QTest::newRow("negative metrics port") << QByteArray("[observability]\nprometheus_port = -1")
        << QStringLiteral("config.toml:2:19: observability.prometheus_port: expected an integer from 0 to 65535, "
                          "got -1");
    QTest::newRow("connect timeout") << QByteArray("[database]\nconnect_timeout_sec = 0")
        << QStringLiteral("config.toml:2:23: database.connect_timeout_sec: expected an integer from 1 to 600, "
                          "got 0");

    // unknown keys and sections
    QTest::newRow("unknown key, close") << QByteArray("[mqtt]\nhost = \"a\"\nhots = \"b\"")
        << QStringLiteral("config.toml:3:1: mqtt.hots: unknown key (did you mean \"host\"?)");
    QTest::newRow("unknown key, far") << QByteArray("[mqtt]\nfoobar = 1")
        << QStringLiteral("config.toml:2:1: mqtt.foobar: unknown key");
    QTest::newRow("unknown section") << QByteArray("[mqtt]\nhost = \"a\"\n[databse]\nname = \"x\"")
        << QStringLiteral("config.toml:3:2: databse: unknown section (did you mean \"database\"?)");
    QTest::newRow("unknown top-level key") << QByteArray("foo = 1")
        << QStringLiteral("config.toml:1:1: foo: unknown key");
    QTest::newRow("unknown key in topic entry") << QByteArray("[mqtt]\ntopics = [{ filter = \"a\", qso = 1 }]")
        << QStringLiteral("config.toml:2:27: mqtt.topics[0].qso: unknown key (did you mean \"qos\"?)");
    QTest::newRow("first error in document order")
        << QByteArray("[subscriber]\nmax_payload_bytes = 0\nbatch_size = \"x\"\n[database]\nzzz = 1")
        << QStringLiteral("config.toml:2:21: subscriber.max_payload_bytes: expected a positive integer up to "
                          "268435456 (256 MiB), got 0");

    QTest::newRow("broken base key reported, not the limit")
        << QByteArray("[subscriber]\nmax_buffered_messages = 10\nbatch_size = \"x\"")
        << QStringLiteral("config.toml:3:14: subscriber.batch_size: expected a positive integer, got \"x\"");
    QTest::newRow("broken tls reported, not the files")
        << QByteArray("[mqtt]\ntls_ca_file = \"ca.pem\"\ntls = \"yes\"")
        << QStringLiteral("config.toml:3:7: mqtt.tls: expected a boolean, got \"yes\"");

    // syntax
    QTest::newRow("syntax error") << QByteArray("[mqtt]\nhost = = 1")
        << QStringLiteral("config.toml:2:8: syntax error: Error while parsing value: could not determine "
                          "value type");
    QTest::newRow("unterminated header") << QByteArray("[mqtt\nhost = \"a\"")
        << QStringLiteral("config.toml:1:6: syntax error: Error while parsing table header: expected ']', "
                          "saw '\\n'");
    QTest::newRow("duplicate key") << QByteArray("[mqtt]\nport = 1\nport = 2")
        << QStringLiteral("config.toml:3:8: syntax error: Error while parsing key-value pair: cannot redefine "
                          "existing integer 'port'");

    // topics
    QTest::newRow("# not last") << QByteArray("[mqtt]\ntopic = \"a/#/b\"")
        << QStringLiteral("config.toml:2:9: mqtt.topic: invalid topic filter \"a/#/b\": '#' must be the last level");
    QTest::newRow("# inside a level") << QByteArray("[mqtt]\ntopic = \"a/b#\"")
        << QStringLiteral("config.toml:2:9: mqtt.topic: invalid topic filter \"a/b#\": '#' must stand alone in "
                          "its level");
    QTest::newRow("+ inside a level") << QByteArray("[mqtt]\ntopics = [\"ok/#\", \"a/b+\"]")
        << QStringLiteral("config.toml:2:19: mqtt.topics[1]: invalid topic filter \"a/b+\": '+' must stand alone "
                          "in its level");
    QTest::newRow("empty filter") << QByteArray("[mqtt]\ntopics = [{ filter = \"\" }]")
        << QStringLiteral("config.toml:2:22: mqtt.topics[0].filter: invalid topic filter \"\": must not be empty");
    QTest::newRow("share without group") << QByteArray("[mqtt]\ntopic = \"$share//a\"")
        << QStringLiteral("config.toml:2:9: mqtt.topic: invalid topic filter \"$share//a\": a shared subscription "
                          "needs $share/<group>/<filter>");
    QTest::newRow("share without filter") << QByteArray("[mqtt]\ntopic = \"$share/g/\"")
        << QStringLiteral("config.toml:2:9: mqtt.topic: invalid topic filter \"$share/g/\": a shared subscription "
                          "needs a filter after the group");
    QTest::newRow("duplicate filter") << QByteArray("[mqtt]\ntopic = \"a\"\ntopics = [\"a\"]")
        << QStringLiteral("config.toml:3:11: mqtt.topics[0]: duplicate topic filter \"a\"");
    QTest::newRow("no filters at all") << QByteArray("[mqtt]\ntopics = []")
        << QStringLiteral("config.toml:2:10: mqtt.topics: expected at least one topic filter, got []");
    QTest::newRow("topics not an array") << QByteArray("[mqtt]\ntopics = \"a/#\"")
        << QStringLiteral("config.toml:2:10: mqtt.topics: expected an array of topic filters, got \"a/#\"");
    QTest::newRow("entry of wrong type") << QByteArray("[mqtt]\ntopics = [5]")
        << QStringLiteral("config.toml:2:11: mqtt.topics[0]: expected a topic filter string or "
                          "{ filter = \"...\", qos = N }, got 5");
    QTest::newRow("entry without filter") << QByteArray("[mqtt]\ntopics = [{ qos = 1 }]")
        << QStringLiteral("config.toml:2:11: mqtt.topics[0]: missing key \"filter\"");
    QTest::newRow("entry qos out of range") << QByteArray("[mqtt]\ntopics = [{ filter = \"a\", qos = 7 }]")
        << QStringLiteral("config.toml:2:33: mqtt.topics[0].qos: expected an integer from 0 to 2, got 7");

    // enumerations and identifiers
    QTest::newRow("bad protocol") << QByteArray("[mqtt]\nprotocol = \"4\"")
        << QStringLiteral("config.toml:2:12: mqtt.protocol: expected \"3.1.1\" or \"5\", got \"4\"");
    QTest::newRow("bad driver") << QByteArray("[database]\ndriver = \"mysql\"")
        << QStringLiteral("config.toml:2:10: database.driver: expected \"postgresql\", \"postgres\" or \"sqlite\", "
                          "got \"mysql\"");
    QTest::newRow("bad sslmode") << QByteArray("[database]\nsslmode = \"on\"")
        << QStringLiteral("config.toml:2:11: database.sslmode: expected one of disable, allow, prefer, require, "
                          "verify-ca, verify-full, got \"on\"");
    QTest::newRow("bad identifier") << QByteArray("[database]\ntable = \"readings; drop table x\"")
        << QStringLiteral("config.toml:2:9: database.table: expected an SQL identifier (name or schema.name: "
                          "letters, digits, _), got \"readings; drop table x\"");
    QTest::newRow("identifier starting with digit") << QByteArray("[database]\ndead_letter_table = \"1x\"")
        << QStringLiteral("config.toml:2:21: database.dead_letter_table: expected an SQL identifier (name or "
                          "schema.name: letters, digits, _), got \"1x\"");
    QTest::newRow("same table twice") << QByteArray("[database]\ntable = \"t\"\ndead_letter_table = \"T\"")
        << QStringLiteral("config.toml:3:21: database.dead_letter_table: table and dead_letter_table must differ");
    QTest::newRow("trace endpoint without scheme") << QByteArray("[observability]\ntrace_endpoint = \"otel:4318\"")
        << QStringLiteral("config.toml:2:18: observability.trace_endpoint: expected an http:// or https:// URL "
                          "(or \"\" for off), got \"otel:4318\"");
    QTest::newRow("trace endpoint with credentials, wrong scheme")
        << QByteArray("[observability]\ntrace_endpoint = \"ftp://u:pw1@h/t?token=abc\"")
        << QStringLiteral("config.toml:2:18: observability.trace_endpoint: expected an http:// or https:// URL "
                          "(or \"\" for off), got \"ftp://u:********@h/t?token=********\"");

    // TLS
    QTest::newRow("cert without key") << QByteArray("[mqtt]\ntls = true\ntls_cert_file = \"c.pem\"")
        << QStringLiteral("config.toml:3:17: mqtt.tls_cert_file: tls_key_file must be given as well");
    QTest::newRow("key without cert") << QByteArray("[mqtt]\ntls = true\ntls_key_file = \"c.key\"")
        << QStringLiteral("config.toml:3:16: mqtt.tls_key_file: tls_cert_file must be given as well");
    QTest::newRow("metrics cert without key") << QByteArray("[observability]\ntls_cert_file = \"c.pem\"")
        << QStringLiteral("config.toml:2:17: observability.tls_cert_file: tls_key_file must be given as well");
    QTest::newRow("metrics key without cert")
        << QByteArray("[observability]\ntls_key_file = \"c.key\"\ntls_cert_file = \"\"")
        << QStringLiteral("config.toml:2:16: observability.tls_key_file: tls_cert_file must be given as well");
    QTest::newRow("the token is not a key") << QByteArray("[observability]\nauth_token = \"s3cr3t\"")
        << QStringLiteral("config.toml:2:1: observability.auth_token: unknown key");
    QTest::newRow("TLS 1.1") << QByteArray("[mqtt]\ntls = true\ntls_min_version = \"1.1\"")
        << QStringLiteral("config.toml:3:19: mqtt.tls_min_version: expected \"1.2\", \"1.3\" or \"\" (OpenSSL's "
                          "default), got \"1.1\"");
    QTest::newRow("ciphers without tls") << QByteArray("[mqtt]\ntls_ciphers = \"ECDHE+AESGCM\"")
        << QStringLiteral("config.toml:2:15: mqtt.tls_ciphers: needs tls = true (the connection would not use it)");
    QTest::newRow("tls file without tls") << QByteArray("[mqtt]\ntls_ca_file = \"ca.pem\"")
        << QStringLiteral("config.toml:2:15: mqtt.tls_ca_file: needs tls = true (the connection would not use it)");
    QTest::newRow("database cert without key") << QByteArray("[database]\nsslcert = \"c.pem\"")
        << QStringLiteral("config.toml:2:11: database.sslcert: sslcert and sslkey go together (the client certificate "
                          "and its key)");
    QTest::newRow("database path with ;") << QByteArray("[database]\nsslrootcert = \"a;b.pem\"")
        << QStringLiteral("config.toml:2:15: database.sslrootcert: expected a path without ';', got \"a;b.pem\"");
}

void TstConfigLoader::errors()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, expected);
    const Result<Config> result = ConfigLoader::loadString(toml, QStringLiteral("config.toml"), noEnv());
    QVERIFY(!result.ok());
    QCOMPARE(result.error().message, expected);
}

void TstConfigLoader::unreadableFile_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << QStringLiteral("/nonexistent/config.toml")
                             << QStringLiteral("/nonexistent/config.toml: cannot read configuration: "
                                               "No such file or directory");
    QTest::newRow("directory") << QStringLiteral("/tmp")
                               << QStringLiteral("/tmp: cannot read configuration: is a directory");
}

void TstConfigLoader::unreadableFile()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);
    const Result<Config> result = ConfigLoader::loadFile(path, noEnv());
    QVERIFY(!result.ok());
    QCOMPARE(result.error().message, expected);
}

void TstConfigLoader::environment_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("section");
    QTest::addColumn<QString>("expected");

    QTest::newRow("mqtt password") << referenceExampleToml() << QStringLiteral("IOT_MQTT_PASSWORD") << QStringLiteral("m")
                                   << QStringLiteral("mqtt") << QStringLiteral("password = \"m\"");
    QTest::newRow("mqtt username") << referenceExampleToml() << QStringLiteral("IOT_MQTT_USERNAME") << QStringLiteral("u")
                                   << QStringLiteral("mqtt") << QStringLiteral("username = \"u\"");
    QTest::newRow("database password replaces the file's")
        << referenceExampleToml() << QStringLiteral("IOT_DATABASE_PASSWORD") << QStringLiteral("from-env")
        << QStringLiteral("database") << QStringLiteral("password = \"from-env\"");
    QTest::newRow("database user") << referenceExampleToml() << QStringLiteral("IOT_DATABASE_USER") << QStringLiteral("w")
                                   << QStringLiteral("database") << QStringLiteral("user = \"w\"");
    QTest::newRow("empty value does not override")
        << referenceExampleToml() << QStringLiteral("IOT_DATABASE_PASSWORD") << QString() << QStringLiteral("database")
        << QStringLiteral("password = \"changeme\"");
    QTest::newRow("defaults get overrides too") << QByteArray() << QStringLiteral("IOT_DATABASE_PASSWORD")
                                                << QStringLiteral("d") << QStringLiteral("database")
                                                << QStringLiteral("password = \"d\"");
}

void TstConfigLoader::observabilityToken()
{
    // From the environment only, and never written back out: no key carries it.
    QProcessEnvironment env;
    env.insert(QStringLiteral("IOT_OBSERVABILITY_TOKEN"), QStringLiteral("tok-from-env"));
    const Result<Config> c = ConfigLoader::loadString("[observability]\nauth_token_file = \"/etc/t\"",
                                                      QStringLiteral("config.toml"), env);
    QVERIFY(c.ok());
    QCOMPARE(c.value().observability.authToken, QStringLiteral("tok-from-env"));
    QCOMPARE(c.value().observability.authTokenFile, QStringLiteral("/etc/t"));
    QVERIFY(!ConfigLoader::toToml(c.value(), false).contains(QStringLiteral("tok-from-env")));
    QCOMPARE(ConfigLoader::defaults(noEnv()).observability.authToken, QString());
}

void TstConfigLoader::environment()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, variable);
    QFETCH(QString, value);
    QFETCH(QString, section);
    QFETCH(QString, expected);
    QProcessEnvironment env;
    env.insert(variable, value);
    const Config config = toml.isEmpty() ? ConfigLoader::defaults(env)
                                         : ConfigLoader::loadString(toml, QStringLiteral("config.toml"), env).value();
    const QString key = expected.section(u' ', 0, 0);
    QCOMPARE(effectiveLine(config, section, key), expected);
}

void TstConfigLoader::roundTrip_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::newRow("defaults") << QByteArray();
    QTest::newRow("reference example") << referenceExampleToml();
    QTest::newRow("everything changed") << everythingChangedToml();
}

void TstConfigLoader::roundTrip()
{
    QFETCH(QByteArray, toml);
    const Result<Config> first = ConfigLoader::loadString(toml, QStringLiteral("config.toml"), noEnv());
    QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().message));
    const QString printed = ConfigLoader::toToml(first.value(), false);
    const Result<Config> second = ConfigLoader::loadString(printed.toUtf8(), QStringLiteral("config.toml"), noEnv());
    QVERIFY2(second.ok(), qPrintable(second.ok() ? QString() : QString(second.error().message + u'\n' + printed)));
    QVERIFY2(second.value() == first.value(), qPrintable(printed));
    QCOMPARE(ConfigLoader::toToml(second.value(), false), printed);
}

void TstConfigLoader::maskedSecrets()
{
    const Result<Config> loaded = ConfigLoader::loadString(everythingChangedToml(), QStringLiteral("config.toml"), noEnv());
    QVERIFY(loaded.ok());
    const QString masked = ConfigLoader::toToml(loaded.value());
    for (const QString &secret : {QStringLiteral("p\u00e4ss"), QStringLiteral("db-secret"), QStringLiteral("tr4ce")})
        QVERIFY2(!masked.contains(secret), qPrintable(secret));
    QCOMPARE(effectiveLine(ConfigLoader::loadString(masked.toUtf8(), QString(), noEnv()).value(),
                           QStringLiteral("mqtt"), QStringLiteral("password")),
             QStringLiteral("password = \"********\""));
    QVERIFY(masked.contains(QStringLiteral("https://user:********@collector:4318/v1/traces")));

    // An unset secret prints as unset, so operators can tell "no password" from "a password".
    const QString defaults = ConfigLoader::toToml(ConfigLoader::defaults(noEnv()));
    QVERIFY(defaults.contains(QStringLiteral("\npassword = \"\"\n")));
    QVERIFY(!defaults.contains(ConfigLoader::MaskedSecret));
}

void TstConfigLoader::environmentSecretsAreNamed()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("IOT_MQTT_PASSWORD"), QStringLiteral("env-secret"));
    env.insert(QStringLiteral("IOT_DATABASE_USER"), QStringLiteral("env-user"));
    const Config config = ConfigLoader::loadString(referenceExampleToml(), QStringLiteral("config.toml"), env).value();
    QCOMPARE(config.fromEnvironment, QStringList({QStringLiteral("mqtt.password"), QStringLiteral("database.user")}));
    const QString masked = ConfigLoader::toToml(config);
    QVERIFY(!masked.contains(QStringLiteral("env-secret")));
    QVERIFY(!masked.contains(QStringLiteral("changeme")));  // the file's password: masked as well
    QVERIFY2(masked.contains(QStringLiteral("\npassword = \"(from environment)\"  # from the environment: "
                                            "IOT_MQTT_PASSWORD\n")),
             qPrintable(masked));
    // Not a secret, but where it came from is still said.
    QVERIFY(masked.contains(QStringLiteral("\nuser = \"env-user\"  # from the environment: IOT_DATABASE_USER\n")));
    // Every secret value of the config, for the log's last line of defence.
    const QStringList secrets = Secrets::of(config);
    QVERIFY(secrets.contains(QStringLiteral("env-secret")));
    QVERIFY(secrets.contains(QStringLiteral("changeme")));
}

void TstConfigLoader::maskedUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("masked");
    QTest::addColumn<QStringList>("secrets");
    QTest::newRow("nothing secret") << QStringLiteral("http://collector:4318/v1/traces?service=a")
                                    << QStringLiteral("http://collector:4318/v1/traces?service=a") << QStringList();
    QTest::newRow("userinfo") << QStringLiteral("https://user:pw-1@collector:4318/v1/traces")
                              << QStringLiteral("https://user:********@collector:4318/v1/traces")
                              << QStringList{QStringLiteral("pw-1")};
    QTest::newRow("user only") << QStringLiteral("https://user@collector/v1/traces")
                               << QStringLiteral("https://user@collector/v1/traces") << QStringList();
    QTest::newRow("token and api key")
        << QStringLiteral("http://c/v1/traces?token=t0k&service=x&api_key=k3y&X-Access-Token=abc")
        << QStringLiteral("http://c/v1/traces?token=********&service=x&api_key=********&X-Access-Token=********")
        << QStringList{QStringLiteral("t0k"), QStringLiteral("k3y"), QStringLiteral("abc")};
    QTest::newRow("percent-encoded") << QStringLiteral("http://u:p%40ss@c/?sig=a%2Bb")
                                     << QStringLiteral("http://u:********@c/?sig=********")
                                     << QStringList{QStringLiteral("p@ss"), QStringLiteral("p%40ss"),
                                                    QStringLiteral("a+b"), QStringLiteral("a%2Bb")};
    QTest::newRow("empty") << QString() << QString() << QStringList();
}

void TstConfigLoader::maskedUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, masked);
    QFETCH(QStringList, secrets);
    QCOMPARE(Secrets::maskUrl(url), masked);
    QStringList found = Secrets::ofUrl(url);
    for (const QString &s : secrets)
        QVERIFY2(found.contains(s), qPrintable(s + QStringLiteral(" not in ") + found.join(u' ')));
    // Free text that quotes the URL (Qt's network errors do) loses every secret part.
    const QString scrubbed = Secrets::scrub(QStringLiteral("Error transferring %1 - server replied: x").arg(url), found);
    for (const QString &s : secrets)
        QVERIFY2(!scrubbed.contains(s), qPrintable(scrubbed));
}

void TstConfigLoader::maskedText_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("shown");
    const QString url = QStringLiteral("http://u:pw9@h/v1/traces?token=t0k9");
    QTest::newRow("basic string, comment kept")
        << QStringLiteral("[mqtt]\npassword = \"s3cret\"  # note\n") << QStringLiteral("[mqtt]\npassword = \"********\"  # note\n");
    QTest::newRow("literal and multi-line strings")
        << QStringLiteral("[mqtt]\npassword = 's3cret'\n[database]\npassword = \"\"\"a\nb\"\"\"\n")
        << QStringLiteral("[mqtt]\npassword = \"********\"\n[database]\npassword = \"********\"\n");
    QTest::newRow("non-ASCII before and in it")
        << QStringLiteral("[database] # ünïcode\npassword = \"pä😀ss\"\nuser = \"ü\"\n")
        << QStringLiteral("[database] # ünïcode\npassword = \"********\"\nuser = \"ü\"\n");
    QTest::newRow("inline table") << QStringLiteral("mqtt = { host = \"h\", password = \"s3cret\" }\n")
                                  << QStringLiteral("mqtt = { host = \"h\", password = \"********\" }\n");
    QTest::newRow("url") << QStringLiteral("[observability]\ntrace_endpoint = \"%1\"\n").arg(url)
                         << QStringLiteral("[observability]\ntrace_endpoint = \"http://u:********@h/v1/traces?token=********\"\n");
    QTest::newRow("unset stays unset") << QStringLiteral("[mqtt]\npassword = \"\"\n") << QStringLiteral("[mqtt]\npassword = \"\"\n");
    QTest::newRow("does not parse: masked by line")
        << QStringLiteral("[mqtt\npassword = \"s3cret\"\n") << QStringLiteral("[mqtt\npassword = \"********\"\n");
}

void TstConfigLoader::maskedText()
{
    QFETCH(QString, file);
    QFETCH(QString, shown);
    QCOMPARE(Secrets::maskToml(file), shown);
    // Saved untouched: the file as it was, byte for byte (only text that parses can be saved at all).
    if (!QByteArray(QTest::currentDataTag()).startsWith("does not parse"))
        QCOMPARE(Secrets::restoreToml(shown, file), file);
}

void TstConfigLoader::topicFilters_data()
{
    QTest::addColumn<QString>("filter");
    QTest::addColumn<bool>("valid");
    QTest::newRow("plain") << QStringLiteral("a/b/c") << true;
    QTest::newRow("multi-level") << QStringLiteral("#") << true;
    QTest::newRow("single-level") << QStringLiteral("+") << true;
    QTest::newRow("mixed") << QStringLiteral("a/+/c/#") << true;
    QTest::newRow("empty levels") << QStringLiteral("/a//b/") << true;
    QTest::newRow("$SYS") << QStringLiteral("$SYS/#") << true;
    QTest::newRow("shared") << QStringLiteral("$share/g/a/#") << true;
    QTest::newRow("shared #") << QStringLiteral("$share/g/#") << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("# then more") << QStringLiteral("#/a") << false;
    QTest::newRow("a#") << QStringLiteral("a#") << false;
    QTest::newRow("a+") << QStringLiteral("a/+b") << false;
    QTest::newRow("share no group") << QStringLiteral("$share//a") << false;
    QTest::newRow("share no filter") << QStringLiteral("$share/g") << false;
    QTest::newRow("share wildcard group") << QStringLiteral("$share/+/a") << false;
    QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(u'\0')) << false;
}

void TstConfigLoader::topicFilters()
{
    QFETCH(QString, filter);
    QFETCH(bool, valid);
    QCOMPARE(ConfigLoader::topicFilterProblem(filter).isEmpty(), valid);
}

void TstConfigLoader::sqlIdentifiers_data()
{
    QTest::addColumn<QString>("identifier");
    QTest::addColumn<bool>("valid");
    QTest::newRow("plain") << QStringLiteral("readings") << true;
    QTest::newRow("underscore") << QStringLiteral("_x9") << true;
    QTest::newRow("schema") << QStringLiteral("iot.readings") << true;
    QTest::newRow("63 chars") << QString(63, u'a') << true;
    QTest::newRow("64 chars") << QString(64, u'a') << false;
    QTest::newRow("two dots") << QStringLiteral("a.b.c") << false;
    QTest::newRow("quote") << QStringLiteral("a\"b") << false;
    QTest::newRow("space") << QStringLiteral("a b") << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("leading dot") << QStringLiteral(".a") << false;
}

void TstConfigLoader::sqlIdentifiers()
{
    QFETCH(QString, identifier);
    QFETCH(bool, valid);
    QCOMPARE(ConfigLoader::isSqlIdentifier(identifier), valid);
}

QTEST_APPLESS_MAIN(TstConfigLoader)
#include "tst_configloader.moc"
