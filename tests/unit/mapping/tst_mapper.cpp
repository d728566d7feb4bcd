// SPDX-License-Identifier: MIT
// The mapping engine: [[mappings]] configuration, topic patterns, JSON pointers, type conversion, time formats,
// clock skew, and every rejection with its reason.
#include "config/configloader.h"
#include "mapping/jsonpointer.h"
#include "mapping/mapper.h"

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

// One column of every type and source kind, all optional, for comparing the fast path with the reference.
const char *const AllTypesConfig = R"(
[[mappings]]
name = "all"
topics = ["all/{dev}/{n}"]
table = "all_types"
[[mappings.columns]]
name = "i"
source = "/i"
type = "integer"
[[mappings.columns]]
name = "d"
source = "/d"
type = "double"
[[mappings.columns]]
name = "t"
source = "/t"
[[mappings.columns]]
name = "b"
source = "/b"
type = "boolean"
[[mappings.columns]]
name = "j"
source = "/j"
type = "jsonb"
[[mappings.columns]]
name = "ts"
source = "/ts"
type = "timestamptz"
[[mappings.columns]]
name = "deep"
source = "/a/b~1c/1/x"
type = "double"
[[mappings.columns]]
name = "dev"
source = "topic:dev"
[[mappings.columns]]
name = "n"
source = "topic:n"
type = "integer"
[[mappings.columns]]
name = "whole"
source = "payload"
type = "jsonb"
)";

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
    void jsonPointer_data();
    void jsonPointer();
    void fastPathMatchesReference_data();
    void fastPathMatchesReference();
    void numbersBeyondDouble();
    void longTopicsAreNotCached();
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

void TstMapper::longTopicsAreNotCached()
{
    // 32,000 levels in 64 KiB under plain/#: matched right every time, but kept out of the topic cache.
    QByteArray deep = "plain";
    while (deep.size() < 65000)
        deep += "/l";
    const Config c = load(LabConfig);
    Mapper m(c.mappings, false);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(m.match(deep), (std::pair<int, int>{1, 1}));
    QCOMPARE(m.uncachedMatches(), std::uint64_t(3));
    QCOMPARE(m.match("plain/a/value"), (std::pair<int, int>{1, 0}));
    QCOMPARE(m.uncachedMatches(), std::uint64_t(3));
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
    QCOMPARE(rows.at(0, 2).real(), 21.5);
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
    // Epoch numbers beyond what timestamptz holds are refused with the reason, not wrapped into the year 294,247.
    QTest::newRow("time beyond timestamptz") << QByteArray(R"({"temperature": 1, "ts": 1e300})")
        << QStringLiteral("column device_time (/ts): epoch time outside what timestamptz holds (4713 BC to AD 294247), "
                          "got 1.0");
    QTest::newRow("time before 4713 BC") << QByteArray(R"({"temperature": 1, "ts": -1e300})")
        << QStringLiteral("column device_time (/ts): epoch time outside what timestamptz holds");
    QTest::newRow("time just past 2^63 us") << QByteArray(R"({"temperature": 1, "ts": 9223372036854776})")
        << QStringLiteral("column device_time (/ts): epoch time outside what timestamptz holds");
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
    QCOMPARE(out[1].at(0, 0).real(), 21.5);
    QCOMPARE(m.map("plain/a/value", " -3e2 ", Received, 1, out).kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(out[1].at(1, 0).real(), -300.0);
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
    // Microseconds past the half millisecond: QDateTime alone rounds them up to the next millisecond.
    QTest::newRow("iso microseconds past half a ms") << "auto" << QByteArray("\"2025-11-27T02:21:05.123900Z\"") << t + 900;
    QTest::newRow("iso tenths") << "auto" << QByteArray("\"2025-11-27T02:21:05.9Z\"") << t - 123000 + 900000;
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
    QCOMPARE(o.rule, -1);  // no rule: the writer files it as Reasons::DeadLetter::Unmatched
}

QTEST_APPLESS_MAIN(TstMapper)
#include "tst_mapper.moc"

void TstMapper::jsonPointer_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("result");   // JsonPointer::Result
    QTest::addColumn<QByteArray>("value");
    using R = JsonPointer::Result;
    const QByteArray doc = R"( {"a": {"b/c": [10, {"x": 1.5}], "~k": "t"}, "s": "x,}]\"y", "n": null, "e": {}} )";
    QTest::newRow("whole document") << QString() << doc << int(R::Found) << QByteArray(doc.trimmed());
    QTest::newRow("member") << QStringLiteral("/s") << doc << int(R::Found) << QByteArray(R"("x,}]\"y")");
    QTest::newRow("nested, ~1 and index") << QStringLiteral("/a/b~1c/1/x") << doc << int(R::Found) << QByteArray("1.5");
    QTest::newRow("~0") << QStringLiteral("/a/~0k") << doc << int(R::Found) << QByteArray(R"("t")");
    QTest::newRow("object value") << QStringLiteral("/a/b~1c/1") << doc << int(R::Found) << QByteArray(R"({"x": 1.5})");
    QTest::newRow("null is found") << QStringLiteral("/n") << doc << int(R::Found) << QByteArray("null");
    QTest::newRow("missing key") << QStringLiteral("/zz") << doc << int(R::Missing) << QByteArray();
    QTest::newRow("index out of range") << QStringLiteral("/a/b~1c/2") << doc << int(R::Missing) << QByteArray();
    QTest::newRow("leading zero is no index") << QStringLiteral("/a/b~1c/01") << doc << int(R::Missing) << QByteArray();
    QTest::newRow("into a scalar") << QStringLiteral("/s/x") << doc << int(R::Missing) << QByteArray();
    QTest::newRow("empty object") << QStringLiteral("/e/x") << doc << int(R::Missing) << QByteArray();
    QTest::newRow("scalar document") << QStringLiteral("/x") << QByteArray("21.5") << int(R::Missing) << QByteArray();
    QTest::newRow("escaped key is unsure") << QStringLiteral("/temp") << QByteArray(R"({"t\u0065mp": 1})")
                                           << int(R::Unsure) << QByteArray();
    QTest::newRow("duplicate key is unsure") << QStringLiteral("/t") << QByteArray(R"({"t": 1, "t": 2})")
                                             << int(R::Unsure) << QByteArray();
}

void TstMapper::jsonPointer()
{
    QFETCH(QString, pointer);
    QFETCH(QByteArray, json);
    QFETCH(int, result);
    QFETCH(QByteArray, value);
    QByteArrayView found;
    QCOMPARE(int(JsonPointer(pointer).resolve(json, found)), result);
    if (result == int(JsonPointer::Result::Found))
        QCOMPARE(found.toByteArray(), value);
}

// The fast path (raw bytes) must give exactly what the reference (QJsonDocument) gives: the same outcome, reason,
// kinds and values — for the common payloads it handles itself and for everything it hands over.
void TstMapper::fastPathMatchesReference_data()
{
    QTest::addColumn<QByteArray>("topic");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("fast");   // expected to stay on the fast path
    const QByteArray t("all/dev-1/7");
    QTest::newRow("typical") << t << QByteArray(R"({"i": 17, "d": 21.25, "t": "C", "b": true, "ts": 1764210065123})") << true;
    QTest::newRow("whitespace") << t << QByteArray(" {\n \"i\" : -3 ,\t\"d\":1e2 , \"b\":false } ") << true;
    QTest::newRow("integral double as integer") << t << QByteArray(R"({"i": 4.0, "d": 5})") << true;
    QTest::newRow("exponent integer") << t << QByteArray(R"({"i": 1e3})") << true;
    QTest::newRow("2^53") << t << QByteArray(R"({"i": 9007199254740992})") << true;
    QTest::newRow("beyond 2^53, exact") << t << QByteArray(R"({"i": 9007199254740993})") << true;
    QTest::newRow("int64 max") << t << QByteArray(R"({"i": 9223372036854775807})") << true;
    QTest::newRow("beyond int64") << t << QByteArray(R"({"i": 9223372036854775808})") << false;
    QTest::newRow("big exponent integer") << t << QByteArray(R"({"i": 9.2e18})") << false;
    QTest::newRow("fraction as integer") << t << QByteArray(R"({"i": 1.5})") << false;
    QTest::newRow("string as double") << t << QByteArray(R"({"d": "21.5"})") << false;
    QTest::newRow("huge double") << t << QByteArray(R"({"d": 1e400})") << false;
    QTest::newRow("minus zero") << t << QByteArray(R"({"d": -0, "ts": -0})") << true;
    QTest::newRow("minus zero double") << t << QByteArray(R"({"d": -0.0, "i": -0e5})") << true;
    QTest::newRow("tiny double") << t << QByteArray(R"({"d": 4.9e-324, "i": -0})") << true;
    QTest::newRow("nulls") << t << QByteArray(R"({"i": null, "d": null, "t": null, "ts": null})") << true;
    QTest::newRow("number as text") << t << QByteArray(R"({"t": 21.50})") << false;
    QTest::newRow("object as text") << t << QByteArray(R"({"t": {"b": 1, "a": [1, 2]}})") << false;
    QTest::newRow("escaped text") << t << QByteArray(R"({"t": "a\"b\u00e9\n"})") << false;
    QTest::newRow("utf-8 text") << t << QByteArray("{\"t\": \"23 \xc2\xb0" "C\"}") << true;
    QTest::newRow("jsonb string") << t << QByteArray(R"({"j": "plain ascii"})") << true;
    QTest::newRow("jsonb utf-8 string") << t << QByteArray("{\"j\": \"\xc2\xb0\"}") << false;
    QTest::newRow("jsonb bool") << t << QByteArray(R"({"j": false})") << true;
    QTest::newRow("jsonb number") << t << QByteArray(R"({"j": 21.50})") << false;
    QTest::newRow("jsonb object") << t << QByteArray(R"({"j": {"z": 1, "a": [true, null]}})") << false;
    QTest::newRow("bool from number") << t << QByteArray(R"({"b": 1})") << false;
    QTest::newRow("iso time") << t << QByteArray(R"({"ts": "2025-11-27T02:21:05.123456+01:00"})") << true;
    QTest::newRow("bad iso time") << t << QByteArray(R"({"ts": "yesterday"})") << false;
    QTest::newRow("epoch s") << t << QByteArray(R"({"ts": 1764210065.5})") << true;
    QTest::newRow("deep pointer") << t << QByteArray(R"({"a": {"b/c": [0, {"x": 2.5}]}})") << true;
    QTest::newRow("deep pointer missing") << t << QByteArray(R"({"a": {"b/c": [0]}})") << true;
    QTest::newRow("deep pointer wrong type") << t << QByteArray(R"({"a": {"b/c": [0, {"x": "no"}]}})") << false;
    QTest::newRow("escaped key") << t << QByteArray(R"({"\u0069": 5})") << false;
    QTest::newRow("duplicate key") << t << QByteArray(R"({"i": 5, "i": 6})") << false;
    QTest::newRow("array document") << t << QByteArray("[1, 2]") << true;
    QTest::newRow("scalar document") << t << QByteArray("21.5") << true;
    QTest::newRow("topic level not an integer") << QByteArray("all/dev-1/x") << QByteArray("{}") << false;
}

void TstMapper::fastPathMatchesReference()
{
    QFETCH(QByteArray, topic);
    QFETCH(QByteArray, payload);
    QFETCH(bool, fast);
    const Config c = load(AllTypesConfig);
    Mapper quick(c.mappings, false);
    Mapper reference(c.mappings, false);
    reference.setReferenceOnly(true);
    std::vector<MappedRows> a(1), b(1);
    const Mapper::Outcome oa = quick.map(topic, payload, Received, 3, a);
    const Mapper::Outcome ob = reference.map(topic, payload, Received, 3, b);
    QCOMPARE(quick.referenceFallbacks() == 0, fast);
    QCOMPARE(int(oa.kind), int(ob.kind));
    QCOMPARE(oa.reason, ob.reason);
    QCOMPARE(a[0].rows(), b[0].rows());
    QCOMPARE(a[0].values.size(), b[0].values.size());
    for (std::size_t k = 0; k < a[0].values.size(); ++k) {
        const MappedValue &x = a[0].values[k];
        const MappedValue &y = b[0].values[k];
        const QByteArray where = "column " + QByteArray::number(qulonglong(k));
        QVERIFY2(x.kind == y.kind, where.constData());
        if (x.kind == MappedValue::Kind::Text || x.kind == MappedValue::Kind::Json)
            QCOMPARE(a[0].bytes(x).toByteArray(), b[0].bytes(y).toByteArray());
        else
            QVERIFY2(x.i == y.i, QByteArray(where + ": " + QByteArray::number(x.i) + " vs " + QByteArray::number(y.i)).constData());
    }
}

// Valid JSON (PostgreSQL's jsonb takes it) that Qt's parser refuses: a number beyond a double's range. Where it is
// not needed the fast path maps the message; where the reference path has to read it, the message is dead-lettered
// with the reason, never stored with columns silently empty.
void TstMapper::numbersBeyondDouble()
{
    const Config c = load(AllTypesConfig);
    Mapper m(c.mappings, false);
    std::vector<MappedRows> out(1);
    const auto ok = m.map("all/dev-1/7", R"({"d": 1.5, "x": 1e400})", Received, 0, out);
    QCOMPARE(ok.kind, Mapper::Outcome::Kind::Mapped);
    QCOMPARE(out[0].at(0, 1).real(), 1.5);
    const auto bad = m.map("all/dev-1/7", R"({"d": 1e400})", Received, 1, out);
    QCOMPARE(bad.kind, Mapper::Outcome::Kind::Rejected);
    QVERIFY2(bad.reason.contains(QStringLiteral("payload not mappable: illegal number at byte")), qPrintable(bad.reason));
    QCOMPARE(out[0].rows(), std::size_t(1));
}
