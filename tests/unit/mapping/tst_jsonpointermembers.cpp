// SPDX-License-Identifier: MIT
// JsonPointer::resolveMembers (the alerts' one-walk read of several top-level fields) gives, for every key, exactly
// what resolve() gives for the pointer "/" + key — on the common payloads and on the awkward ones.
#include "mapping/jsonpointer.h"

#include <QTest>

#include <vector>

using namespace iot;

namespace {

const char *name(JsonPointer::Result r)
{
    switch (r) {
    case JsonPointer::Result::Found: return "Found";
    case JsonPointer::Result::Missing: return "Missing";
    case JsonPointer::Result::Unsure: return "Unsure";
    }
    return "?";
}

} // namespace

class TstJsonPointerMembers : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void members_data();
    void members();
    void sameAsResolve_data();
    void sameAsResolve();
    void arraysLeftToResolve();
    void truncatedEverywhere();
};

void TstJsonPointerMembers::members_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QString>("result");
    QTest::addColumn<QByteArray>("value");
    const QByteArray sensor = R"({"sensor":"s-0001","seq":1000,"ts":1765100000000,"temperature":21.53,"humidity":40.00})";
    QTest::newRow("number") << sensor << QByteArray("temperature") << QStringLiteral("Found") << QByteArray("21.53");
    QTest::newRow("last member") << sensor << QByteArray("humidity") << QStringLiteral("Found") << QByteArray("40.00");
    QTest::newRow("string") << sensor << QByteArray("sensor") << QStringLiteral("Found") << QByteArray("\"s-0001\"");
    QTest::newRow("missing") << sensor << QByteArray("pressure") << QStringLiteral("Missing") << QByteArray();
    QTest::newRow("prefix of a key") << sensor << QByteArray("temp") << QStringLiteral("Missing") << QByteArray();
    QTest::newRow("whitespace") << QByteArray(" {\n \"t\" :\t 5 ,\r\n \"u\" : true } ") << QByteArray("u") << "Found"
                                << QByteArray("true");
    QTest::newRow("string holding a number") << QByteArray(R"({"t":"21.5"})") << QByteArray("t") << "Found"
                                             << QByteArray("\"21.5\"");
    QTest::newRow("escapes in a string value") << QByteArray(R"({"a":"x\"y\\","t":3})") << QByteArray("t")
                                               << QStringLiteral("Found") << QByteArray("3");
    QTest::newRow("long string value") << QByteArray(R"({"pad":"0123456789abcdef0123456789\"abcdef","t":-4e2})")
                                       << QByteArray("t") << QStringLiteral("Found") << QByteArray("-4e2");
    QTest::newRow("nested object skipped") << QByteArray(R"({"m":{"t":1,"s":"}"},"t":2})") << QByteArray("t")
                                           << QStringLiteral("Found") << QByteArray("2");
    QTest::newRow("only nested") << QByteArray(R"({"m":{"t":1}})") << QByteArray("t") << QStringLiteral("Missing") << QByteArray();
    QTest::newRow("array value") << QByteArray(R"({"t":[1,{"a":"]"},3],"u":0})") << QByteArray("t") << "Found"
                                 << QByteArray(R"([1,{"a":"]"},3])");
    QTest::newRow("object value") << QByteArray(R"({"t":{"v":1}})") << QByteArray("t") << "Found"
                                  << QByteArray(R"({"v":1})");
    QTest::newRow("null") << QByteArray(R"({"t":null})") << QByteArray("t") << QStringLiteral("Found") << QByteArray("null");
    QTest::newRow("escaped key elsewhere") << QByteArray(R"({"\u0074":1,"t":2})") << QByteArray("t") << "Unsure"
                                           << QByteArray();
    QTest::newRow("duplicate key") << QByteArray(R"({"t":1,"t":2})") << QByteArray("t") << QStringLiteral("Unsure") << QByteArray();
    QTest::newRow("key with a slash") << QByteArray(R"({"a/b":7})") << QByteArray("a/b") << "Found"
                                      << QByteArray("7");
    QTest::newRow("empty key") << QByteArray(R"({"":7})") << QByteArray("") << QStringLiteral("Found") << QByteArray("7");
    QTest::newRow("utf-8 key") << QByteArray("{\"temp\xc3\xa9rature\":7,\"t\":1}") << QByteArray("temp\xc3\xa9rature")
                               << QStringLiteral("Found") << QByteArray("7");
    QTest::newRow("scalar payload") << QByteArray("21.5") << QByteArray("t") << QStringLiteral("Missing") << QByteArray();
    QTest::newRow("empty payload") << QByteArray() << QByteArray("t") << QStringLiteral("Missing") << QByteArray();
    QTest::newRow("truncated in a value") << QByteArray(R"({"t":1,"u":"ab)") << QByteArray("t") << "Unsure"
                                          << QByteArray();
    QTest::newRow("truncated after a member") << QByteArray(R"({"t":1,)") << QByteArray("t") << "Found"
                                              << QByteArray("1");
    QTest::newRow("non-string key") << QByteArray(R"({t:1})") << QByteArray("t") << QStringLiteral("Unsure") << QByteArray();
    QTest::newRow("no colon") << QByteArray(R"({"t" 1})") << QByteArray("t") << QStringLiteral("Unsure") << QByteArray();
}

void TstJsonPointerMembers::members()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, key);
    QFETCH(QString, result);
    QFETCH(QByteArray, value);
    // With a second key that is never there, so the walk really compares with several.
    const QByteArrayView keys[] = {QByteArrayView("nothere"), key};
    JsonPointer::Result results[2];
    QByteArrayView values[2];
    QVERIFY(JsonPointer::resolveMembers(json, keys, 2, results, values));
    QCOMPARE(QString::fromLatin1(name(results[1])), result);
    if (results[1] == JsonPointer::Result::Found)
        QCOMPARE(values[1].toByteArray(), value);
}

void TstJsonPointerMembers::sameAsResolve_data()
{
    QTest::addColumn<QByteArray>("json");
    const char *const cases[] = {
        R"({"sensor":"s-0001","seq":1000,"ts":1765100000000,"temperature":21.53,"humidity":40.00})",
        R"({"a":1,"b":"x","c":{"a":2},"d":[1,2],"e":true,"f":null})",
        R"({"a":1 "b":2})",        // no comma: the walk stops where resolve() stops
        R"({"a":1,"a":1})",
        R"({"a":"\\","b":"\"","c":"x\\\"y"})",
        R"({"a\"b":1,"b":2})",
        R"({  "a"  :  -0.0  ,  "b"  :  1E+3  })",
        R"({"a":})",
        R"({"a":1}trailing)",
        R"({"a":{"b":{"c":[{"d":"}"}]}},"b":5})",
        R"("just a string")",
        "{",
        "",
    };
    for (const char *c : cases)
        QTest::newRow(c) << QByteArray(c);
}

void TstJsonPointerMembers::sameAsResolve()
{
    QFETCH(QByteArray, json);
    const QByteArray names[] = {"a", "b", "c", "d", "e", "f", "a\"b", "temperature", "humidity", "seq", "x"};
    std::vector<QByteArrayView> keys(std::begin(names), std::end(names));
    std::vector<JsonPointer::Result> results(keys.size());
    std::vector<QByteArrayView> values(keys.size());
    QVERIFY(JsonPointer::resolveMembers(json, keys.data(), keys.size(), results.data(), values.data()));
    for (std::size_t k = 0; k < keys.size(); ++k) {
        QByteArray escaped = names[k];
        escaped.replace('~', "~0").replace('/', "~1");
        QByteArrayView expected;
        const auto r = JsonPointer(QString::fromUtf8("/" + escaped)).resolve(json, expected);
        QCOMPARE(name(results[k]), name(r));
        if (r == JsonPointer::Result::Found)
            QCOMPARE(values[k].toByteArray(), expected.toByteArray());
    }
}

void TstJsonPointerMembers::arraysLeftToResolve()
{
    const QByteArrayView keys[] = {QByteArrayView("0")};
    JsonPointer::Result results[1];
    QByteArrayView values[1];
    QVERIFY(!JsonPointer::resolveMembers(" [5, 6]", keys, 1, results, values));
    QByteArray key;
    QVERIFY(JsonPointer(u"/a~1b").singleKey(key));
    QCOMPARE(key, QByteArray("a/b"));
    QVERIFY(!JsonPointer(u"/a/b").singleKey(key));
    QVERIFY(!JsonPointer().singleKey(key));
}

void TstJsonPointerMembers::truncatedEverywhere()
{
    // Every prefix of a payload with strings, escapes and nesting: the same answers as resolve(), never a read past
    // the end (the 8-byte steps stop short of it; ASan/valgrind runs would show one).
    const QByteArray full = R"({"s":"ab\"cdefghijklmnop\\q","m":{"t":[1,"]"]},"t":12.5,"u":"x"})";
    const QByteArrayView keys[] = {QByteArrayView("s"), QByteArrayView("m"), QByteArrayView("t"),
                                   QByteArrayView("u")};
    for (qsizetype n = 0; n <= full.size(); ++n) {
        const QByteArray json(full.constData(), n);   // its own allocation, ending exactly at the prefix
        JsonPointer::Result results[4];
        QByteArrayView values[4];
        QVERIFY(JsonPointer::resolveMembers(json, keys, 4, results, values));
        for (std::size_t k = 0; k < 4; ++k) {
            QByteArrayView expected;
            const auto r = JsonPointer(QString::fromUtf8("/" + keys[k].toByteArray())).resolve(json, expected);
            QVERIFY2(results[k] == r, qPrintable(QStringLiteral("prefix %1, key %2: %3 vs %4")
                                                     .arg(n).arg(k).arg(QString::fromLatin1(name(results[k])), QString::fromLatin1(name(r)))));
            if (r == JsonPointer::Result::Found)
                QCOMPARE(values[k].toByteArray(), expected.toByteArray());
        }
    }
}

QTEST_APPLESS_MAIN(TstJsonPointerMembers)
#include "tst_jsonpointermembers.moc"
