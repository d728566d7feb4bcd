// SPDX-License-Identifier: MIT
// The mapping engine: [[mappings]] configuration, topic patterns, JSON pointers, type conversion, time formats,
// clock skew, and every rejection with its reason.
#include "configloader.h"
#include "mapper.h"

#include <QTest>

using namespace iot;

namespace {

const char *const LabConfig = R"(
[[mappings]]
name = "lab"
topics = ["lab/{room}/{sensor}/telemetry"]
table = "telemetry"
unique = ["sensor", "device_time"]
time_column = "device_time"
max_clock_skew_sec = 3600

[[mappings.columns]]
name = "room"
source = "topic:room"

[[mappings.columns]]
name = "sensor"
source = "topic:sensor"
required = true

[[mappings.columns]]
name = "temperature"
source = "/temperature"
type = "double"
required = true

[[mappings.columns]]
name = "unit"
source = "/meta/unit"

[[mappings.columns]]
name = "device_time"
source = "/ts"
type = "timestamptz"
time_format = "epoch_ms"
required = true

[[mappings.columns]]
name = "received_at"
source = "received_at"

[[mappings.columns]]
name = "raw"
source = "payload"

[[mappings]]
name = "plain"
topics = ["plain/+/value", "plain/#"]
table = "plain_values"

[[mappings.columns]]
name = "value"
source = "value"
type = "double"
required = true
)";

Config load(const QByteArray &toml)
{
    auto r = ConfigLoader::loadString(toml, QStringLiteral("m.toml"), QProcessEnvironment());
    if (!r)
        qFatal("%s", qPrintable(r.error().message));
    return r.value();
}

// A receive time close to the payloads' device time, so the skew check passes.
constexpr std::int64_t Received = 1764210065000000;  // 2025-11-27T02:21:05Z

} // namespace

class TstMapper final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void configLoads();
    void configErrors_data();
    void configErrors();
    void topicMatching_data();
    void topicMatching();
    void mapsLabTelemetry();
    void rejections_data();
    void rejections();
    void plainNumericPayload();
    void timeFormats_data();
    void timeFormats();
    void clockSkewFlag();
    void unmatchedPolicy();
};

void TstMapper::configLoads()
{
    const Config c = load(LabConfig);
    QCOMPARE(c.mappings.size(), 2);
    const MappingRule &r = c.mappings[0];
    QCOMPARE(r.table, QStringLiteral("telemetry"));
    QCOMPARE(r.columns.size(), 7);
    QCOMPARE(r.columns[0].source, ColumnMapping::Source::TopicSegment);
    QCOMPARE(r.columns[0].path, QStringLiteral("room"));
    QCOMPARE(r.columns[0].type, ColumnMapping::Type::Text);
    QCOMPARE(r.columns[4].time, ColumnMapping::TimeEncoding::EpochMillis);
    QCOMPARE(r.columns[5].type, ColumnMapping::Type::Timestamptz);  // default for received_at
    QCOMPARE(r.columns[6].type, ColumnMapping::Type::Jsonb);        // default for payload
    QCOMPARE(r.unique, QStringList({QStringLiteral("sensor"), QStringLiteral("device_time")}));
    QVERIFY(r.skewToDeadLetter);
    // --check-config output loads back to the same rules.
    const Config again = load(ConfigLoader::toToml(c, false).toUtf8());
    QCOMPARE(again.mappings, c.mappings);
}

void TstMapper::configErrors_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QString>("expected");
    const QByteArray head = "[[mappings]]\ntopics = [\"a/{x}\"]\ntable = \"t\"\n";
    QTest::newRow("bad source") << QByteArray(head + "[[mappings.columns]]\nname = \"c\"\nsource = \"temperature\"\n")
                                << QStringLiteral("m.toml:6:10: mappings[0].columns[0].source: expected a JSON pointer");
    QTest::newRow("bad type") << QByteArray(head + "[[mappings.columns]]\nname = \"c\"\nsource = \"/t\"\ntype = \"float\"\n")
                              << QStringLiteral("m.toml:7:8: mappings[0].columns[0].type: expected one of integer");
    QTest::newRow("unknown segment") << QByteArray(head + "[[mappings.columns]]\nname = \"c\"\nsource = \"topic:y\"\n")
                                     << QStringLiteral("mappings[0].columns[0].source: no {y} level");
    QTest::newRow("unique names no column")
        << QByteArray("[[mappings]]\ntopics = [\"a\"]\ntable = \"t\"\nunique = [\"nope\"]\n[[mappings.columns]]\n"
                      "name = \"c\"\nsource = \"/c\"\n")
        << QStringLiteral("mappings[0].unique: no column named nope");
    QTest::newRow("time column not a time")
        << QByteArray("[[mappings]]\ntopics = [\"a\"]\ntable = \"t\"\ntime_column = \"c\"\n[[mappings.columns]]\n"
                      "name = \"c\"\nsource = \"/c\"\n")
        << QStringLiteral("mappings[0].time_column: no timestamptz column named c");
    QTest::newRow("no columns") << head << QStringLiteral("missing [[mappings.columns]]");
    QTest::newRow("bad pattern") << QByteArray("[[mappings]]\ntopics = [\"a/{x\"]\ntable = \"t\"\n[[mappings.columns]]\n"
                                               "name = \"c\"\nsource = \"/c\"\n")
                                 << QStringLiteral("invalid topic pattern");
    QTest::newRow("same table twice")
        << QByteArray("[[mappings]]\ntopics = [\"a\"]\ntable = \"t\"\n[[mappings.columns]]\nname = \"c\"\nsource = \"/c\"\n"
                      "[[mappings]]\ntopics = [\"b\"]\ntable = \"T\"\n[[mappings.columns]]\nname = \"c\"\nsource = \"/c\"\n")
        << QStringLiteral("another rule already writes to T");
    QTest::newRow("bad unmatched") << QByteArray("[database]\nunmatched = \"drop\"\n")
                                   << QStringLiteral("database.unmatched: expected \"raw\" or \"dead_letter\"");
}

void TstMapper::configErrors()
{
    QFETCH(QByteArray, toml);
    QFETCH(QString, expected);
    const auto r = ConfigLoader::loadString(toml, QStringLiteral("m.toml"), QProcessEnvironment());
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
}

void TstMapper::topicMatching_data()
{
    QTest::addColumn<QByteArray>("topic");
    QTest::addColumn<int>("rule");
    QTest::addColumn<int>("pattern");
    QTest::newRow("named levels") << QByteArray("lab/r1/s-7/telemetry") << 0 << 0;
    QTest::newRow("too short") << QByteArray("lab/r1/telemetry") << -1 << -1;
    QTest::newRow("too long") << QByteArray("lab/r1/s-7/telemetry/x") << -1 << -1;
    QTest::newRow("literal differs") << QByteArray("lab/r1/s-7/status") << -1 << -1;
    QTest::newRow("plus") << QByteArray("plain/a/value") << 1 << 0;
    QTest::newRow("hash") << QByteArray("plain/a/b/c") << 1 << 1;
    QTest::newRow("hash matches parent") << QByteArray("plain") << 1 << 1;
    QTest::newRow("other") << QByteArray("sensors/x") << -1 << -1;
}

void TstMapper::topicMatching()
{
    QFETCH(QByteArray, topic);
    QFETCH(int, rule);
    QFETCH(int, pattern);
    const Config c = load(LabConfig);
    Mapper m(c.mappings, false);
    const auto found = m.match(topic);
    QCOMPARE(found.first, rule);
    QCOMPARE(found.second, pattern);
    QCOMPARE(m.match(topic), found);  // cached answer is the same
}

void TstMapper::mapsLabTelemetry()
{
    const Config c = load(LabConfig);
    Mapper m(c.mappings, false);
    std::vector<MappedRows> out(2);
    const QByteArray payload = R"({"temperature": 21.5, "meta": {"unit": "C"}, "ts": 1764210065123})";
    const auto o = m.map("lab/r1/s-7/telemetry", payload, Received, 42, out);
    QCOMPARE(o.kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(o.rule, 0);
    const MappedRows &rows = out[0];
    QCOMPARE(rows.rows(), std::size_t(1));
    QCOMPARE(rows.sourceRow[0], 42u);
    QCOMPARE(rows.bytes(rows.at(0, 0)), QByteArrayView("r1"));
    QCOMPARE(rows.bytes(rows.at(0, 1)), QByteArrayView("s-7"));
    QCOMPARE(rows.at(0, 2).kind, MappedValue::Kind::Double);
    QCOMPARE(rows.at(0, 2).d, 21.5);
    QCOMPARE(rows.bytes(rows.at(0, 3)), QByteArrayView("C"));
    QCOMPARE(rows.at(0, 4).kind, MappedValue::Kind::Timestamp);
    QCOMPARE(rows.at(0, 4).i, std::int64_t(1764210065123000));
    QCOMPARE(rows.at(0, 5).i, Received);
    QCOMPARE(rows.at(0, 6).kind, MappedValue::Kind::Json);
    QCOMPARE(rows.bytes(rows.at(0, 6)), QByteArrayView(payload));
    // An optional field that is absent becomes NULL.
    const auto o2 = m.map("lab/r1/s-7/telemetry", R"({"temperature": 20, "ts": 1764210065124})", Received, 43, out);
    QCOMPARE(o2.kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(out[0].at(1, 3).kind, MappedValue::Kind::Null);
}

void TstMapper::rejections_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("reason");
    QTest::newRow("required missing") << QByteArray(R"({"ts": 1764210065123})")
                                      << QStringLiteral("mapping lab: column temperature (/temperature): is missing");
    QTest::newRow("required null") << QByteArray(R"({"temperature": null, "ts": 1764210065123})")
                                   << QStringLiteral("column temperature (/temperature): is null");
    QTest::newRow("wrong type") << QByteArray(R"({"temperature": "hot", "ts": 1764210065123})")
                                << QStringLiteral("column temperature (/temperature): expected a number, got \"hot\"");
    QTest::newRow("time not a number") << QByteArray(R"({"temperature": 1, "ts": "soon"})")
                                       << QStringLiteral("column device_time (/ts): expected a time (epoch number)");
    QTest::newRow("future device time") << QByteArray(R"({"temperature": 1, "ts": 1864210065123})")
                                        << QStringLiteral("clock skew: device time (device_time) is 100000000.1 s ahead of");
    QTest::newRow("past device time") << QByteArray(R"({"temperature": 1, "ts": 1664210065000})")
                                      << QStringLiteral("s behind the receive time, limit 3600 s");
}

void TstMapper::rejections()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, reason);
    const Config c = load(LabConfig);
    Mapper m(c.mappings, false);
    std::vector<MappedRows> out(2);
    const auto o = m.map("lab/r1/s-7/telemetry", payload, Received, 0, out);
    QCOMPARE(o.kind, Mapper::Outcome::Kind::Rejected);
    QVERIFY2(o.reason.contains(reason), qPrintable(o.reason));
    // A rejected message leaves nothing behind in the rows.
    QCOMPARE(out[0].rows(), std::size_t(0));
    QCOMPARE(out[0].values.size(), std::size_t(0));
    QCOMPARE(out[0].arena.size(), std::size_t(0));
}

void TstMapper::plainNumericPayload()
{
    const Config c = load(LabConfig);
    Mapper m(c.mappings, false);
    std::vector<MappedRows> out(2);
    QCOMPARE(m.map("plain/a/value", "21.5", Received, 0, out).kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(out[1].at(0, 0).d, 21.5);
    QCOMPARE(m.map("plain/a/value", " -3e2 ", Received, 1, out).kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(out[1].at(1, 0).d, -300.0);
    const auto bad = m.map("plain/a/value", "\"warm\"", Received, 2, out);
    QCOMPARE(bad.kind, Mapper::Outcome::Kind::Rejected);
    QVERIFY2(bad.reason.contains(QStringLiteral("expected a number, got \"warm\"")), qPrintable(bad.reason));
}

void TstMapper::timeFormats_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("expectedUs");
    const qint64 t = 1764210065123000;  // 2025-11-27T02:21:05.123Z
    QTest::newRow("iso Z") << "iso8601" << QByteArray("\"2025-11-27T02:21:05.123Z\"") << t;
    QTest::newRow("iso offset") << "iso8601" << QByteArray("\"2025-11-27T04:21:05.123+02:00\"") << t;
    QTest::newRow("iso no zone is UTC") << "iso8601" << QByteArray("\"2025-11-27T02:21:05.123\"") << t;
    QTest::newRow("iso microseconds") << "auto" << QByteArray("\"2025-11-27T02:21:05.123456Z\"") << t + 456;
    QTest::newRow("epoch s") << "epoch_s" << QByteArray("1764210065.123") << t;
    QTest::newRow("epoch ms") << "epoch_ms" << QByteArray("1764210065123") << t;
    QTest::newRow("epoch us") << "epoch_us" << QByteArray("1764210065123000") << t;
    QTest::newRow("auto s") << "auto" << QByteArray("1764210065") << t - 123000;
    QTest::newRow("auto ms") << "auto" << QByteArray("1764210065123") << t;
    QTest::newRow("auto us") << "auto" << QByteArray("1764210065123000") << t;
}

void TstMapper::timeFormats()
{
    QFETCH(QString, format);
    QFETCH(QByteArray, value);
    QFETCH(qint64, expectedUs);
    const QByteArray toml = "[[mappings]]\ntopics = [\"t\"]\ntable = \"t\"\n[[mappings.columns]]\nname = \"at\"\n"
                            "source = \"/at\"\ntype = \"timestamptz\"\ntime_format = \""
        + format.toUtf8() + "\"\n";
    Mapper m(load(toml).mappings, false);
    std::vector<MappedRows> out(1);
    const QByteArray payload = "{\"at\": " + value + "}";
    const auto o = m.map("t", payload, Received, 0, out);
    QVERIFY2(o.kind == Mapper::Outcome::Kind::Mapped, qPrintable(o.reason));
    QCOMPARE(out[0].at(0, 0).i, expectedUs);
}

void TstMapper::clockSkewFlag()
{
    QByteArray toml = LabConfig;
    toml.replace("max_clock_skew_sec = 3600", "max_clock_skew_sec = 3600\non_clock_skew = \"flag\"");
    toml.replace("name = \"raw\"\nsource = \"payload\"", "name = \"skewed\"\nsource = \"clock_skew\"");
    Mapper m(load(toml).mappings, false);
    std::vector<MappedRows> out(2);
    const auto far = m.map("lab/r/s/telemetry", R"({"temperature": 1, "ts": 1864210065123})", Received, 0, out);
    QCOMPARE(far.kind, Mapper::Outcome::Kind::Mapped);
    QVERIFY(far.skewed);
    QCOMPARE(out[0].at(0, 6).kind, MappedValue::Kind::Boolean);
    QCOMPARE(out[0].at(0, 6).i, std::int64_t(1));
    const auto near = m.map("lab/r/s/telemetry", R"({"temperature": 1, "ts": 1764210065123})", Received, 1, out);
    QVERIFY(!near.skewed);
    QCOMPARE(out[0].at(1, 6).i, std::int64_t(0));
}

void TstMapper::unmatchedPolicy()
{
    const Config c = load(LabConfig);
    std::vector<MappedRows> out(2);
    Mapper raw(c.mappings, false);
    QCOMPARE(raw.map("other/topic", "{}", Received, 0, out).kind, Mapper::Outcome::Kind::Raw);
    Mapper strict(c.mappings, true);
    const auto o = strict.map("other/topic", "{}", Received, 0, out);
    QCOMPARE(o.kind, Mapper::Outcome::Kind::Rejected);
    QVERIFY(o.reason.startsWith(QStringLiteral("unmatched")));
}

QTEST_APPLESS_MAIN(TstMapper)
#include "tst_mapper.moc"
