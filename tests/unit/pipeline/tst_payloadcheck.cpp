// SPDX-License-Identifier: MIT
#include "mapping/jsonpointer.h"
#include "pipeline/payloadcheck.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QMap>
#include <QRandomGenerator>
#include <QTest>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace iot;

namespace iot {
char *toString(PayloadVerdict v)
{
    return qstrdup(PayloadCheck::verdictName(v));
}
} // namespace iot

namespace {

constexpr qulonglong DefaultMaxBytes = 1024 * 1024;
constexpr int DefaultMaxDepth = 64;

// A byte string from a literal, embedded NULs included.
template <std::size_t N>
QByteArray raw(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

QByteArray nestedArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

QByteArray nestedObjects(int depth)
{
    QByteArray doc;
    for (int i = 0; i < depth; ++i)
        doc += "{\"a\":";
    return doc + '1' + QByteArray(depth, '}');
}

void limited(const char *name, const QByteArray &payload, qulonglong maxBytes, int maxDepth, PayloadVerdict verdict,
             qulonglong offset, const char *detail)
{
    QTest::newRow(name) << payload << maxBytes << maxDepth << verdict << offset << QByteArray(detail);
}

void ok(const char *name, const QByteArray &payload)
{
    limited(name, payload, DefaultMaxBytes, DefaultMaxDepth, PayloadVerdict::Ok, 0, "");
}

void bad(const char *name, const QByteArray &payload, PayloadVerdict verdict, qulonglong offset, const char *detail)
{
    limited(name, payload, DefaultMaxBytes, DefaultMaxDepth, verdict, offset, detail);
}

void invalid(const char *name, const QByteArray &payload, qulonglong offset, const char *detail)
{
    bad(name, payload, PayloadVerdict::InvalidJson, offset, detail);
}

// A typical sensor message; pure ASCII, with every kind of value and escape, for the mutation cross-check.
const QByteArray SensorPayload = QByteArrayLiteral(
    "{\"device\":\"sensor-17\",\"ts\":\"2026-11-27T02:21:05.123Z\",\"temp\":21.5,\"hum\":48,\"press\":1.013e3,"
    "\"ok\":true,\"err\":null,\"tags\":[\"roof\",\"north\"],\"pos\":{\"lat\":52.52,\"lon\":-13.4E-1},"
    "\"raw\":[0,-0,1e2,[],{}],\"note\":\"a \\\"b\\\" \\\\ \\/ \\n\\t \\u00e9\\uD83D\\uDE00\"}");

QByteArray mutate(QByteArray doc, QRandomGenerator &rng)
{
    // Half of the new bytes come from JSON's own alphabet, so that mutations often stay (almost) valid.
    static const QByteArray jsonish = QByteArrayLiteral("{}[]\":,.-+eE0123456789\\uUtfnrl/ \t\nDdAa");
    const auto pick = [&rng]() -> char {
        if (rng.bounded(2) == 0)
            return jsonish.at(rng.bounded(qint64(jsonish.size())));
        return static_cast<char>(rng.bounded(1, 128));   // ASCII without NUL
    };
    const int edits = 1 + rng.bounded(3);
    for (int i = 0; i < edits; ++i) {
        switch (rng.bounded(3)) {
        case 0:
            if (!doc.isEmpty())
                doc[rng.bounded(qint64(doc.size()))] = pick();
            break;
        case 1:
            doc.insert(rng.bounded(qint64(doc.size()) + 1), pick());
            break;
        default:
            if (!doc.isEmpty())
                doc.remove(rng.bounded(qint64(doc.size())), 1);
            break;
        }
    }
    return doc;
}

// Deliberate differences where QJsonDocument (measured on Qt 6.4) accepts what PayloadCheck refuses, because
// RFC 8259 or PostgreSQL's jsonb refuse it: raw control characters in strings, unknown escapes (\x, \'), unpaired
// surrogate escapes, \u0000, and the numbers 1. and .5 (also -.5, 1.e5). Returns which one explains `r`, or
// nullptr when none does.
const char *qtLeniency(const QByteArray &doc, const PayloadCheckResult &r)
{
    const auto o = static_cast<qsizetype>(r.offset);
    const auto at = [&doc](qsizetype i) { return i >= 0 && i < doc.size() ? doc.at(i) : '\0'; };
    const QByteArray detail(r.detail);
    if (r.verdict == PayloadVerdict::NulCharacter)
        return doc.mid(o, 6) == "\\u0000" ? "\\u0000 (jsonb cannot store it)" : nullptr;
    if (r.verdict != PayloadVerdict::InvalidJson)
        return nullptr;
    if (detail == "control character in string" && static_cast<unsigned char>(at(o)) < 0x20)
        return "raw control character in a string";
    if (detail == "invalid escape" && at(o - 1) == '\\')
        return "unknown escape such as \\x or \\'";
    if ((detail == "lone low surrogate" || detail == "high surrogate without low surrogate")
        && doc.mid(o, 2) == "\\u")
        return "unpaired UTF-16 surrogate escape";
    if (detail == "expected a digit" && at(o - 1) == '.')
        return "fraction without digits, 1.";
    if ((detail == "expected a digit" || detail == "unexpected character") && at(o) == '.')
        return "number without integer part, .5";
    return nullptr;
}

// The one deliberate difference the other way: Qt refuses numbers a double cannot hold, JSON and jsonb do not.
bool numberOutOfDoubleRange(const QByteArray &doc, const QJsonParseError &error)
{
    if (error.error != QJsonParseError::IllegalNumber)
        return false;
    qsizetype end = error.offset;
    qsizetype begin = end;
    while (begin > 0 && QByteArrayView("0123456789+-.eE").contains(doc.at(begin - 1)))
        --begin;
    const QByteArray number = doc.mid(begin, end - begin);
    errno = 0;
    const double value = std::strtod(number.constData(), nullptr);
    return !number.isEmpty() && (errno == ERANGE || std::isinf(value));
}

QByteArray printable(const QByteArray &doc)
{
    QByteArray out;
    for (char c : doc) {
        if (c >= 0x20 && c < 0x7f)
            out += c;
        else
            out += "\\x" + QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0');
    }
    return out;
}

} // namespace

/// PayloadCheck: which payloads PostgreSQL's jsonb can store, and where and why the others fail; cross-checked
/// against QJsonDocument on mutated sensor payloads. Pure logic; runs on the test's main thread.
class TstPayloadCheck final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void check_data();
    void check();
    void viewIsBounded_data();
    void viewIsBounded();
    void reason_data();
    void reason();
    void verdictName_data();
    void verdictName();
    void agreesWithQJsonDocument_data();
    void agreesWithQJsonDocument();
    void members_data();
    void members();
    void membersAgreeWithResolveMembers_data();
    void membersAgreeWithResolveMembers();
    void membersNumbersAreFromChars();
};

void TstPayloadCheck::check_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<qulonglong>("maxBytes");
    QTest::addColumn<int>("maxDepth");
    QTest::addColumn<PayloadVerdict>("verdict");
    QTest::addColumn<qulonglong>("offset");
    QTest::addColumn<QByteArray>("detail");
    using V = PayloadVerdict;

    // Valid documents.
    ok("empty object", "{}");
    ok("empty array", "[]");
    ok("small object", R"({"t":21.5})");
    ok("sensor payload", SensorPayload);
    ok("array", "[1,2,3]");
    ok("nested", R"({"a":{"b":[1,{"c":[[],{}]}]}})");
    ok("objects in an array", R"([{"id":1},{"id":2,"v":[true,false,null]}])");
    ok("object after array at the same depth", R"([[1,2],{"a":1},[3]])");
    ok("array after object at the same depth", R"({"x":{"y":1},"z":[1,{"w":[]}],"v":2})");
    ok("duplicate keys", R"({"a":1,"a":2})");
    ok("empty key", R"({"":1})");
    ok("top-level number", "21.5");
    ok("top-level string", R"("x")");
    ok("top-level true", "true");
    ok("top-level false", "false");
    ok("top-level null", "null");
    ok("zero", "0");
    ok("minus zero", "-0");
    ok("negative", "-17");
    ok("zero fraction", "0.0");
    ok("exponent", "1e10");
    ok("exponent E+", "1E+2");
    ok("exponent e-", "-1.5e-3");
    ok("exponent with leading zeros", "2.5E-07");
    ok("0e0", "0e0");
    ok("long integer", "123456789012345678901234567890");
    ok("beyond double range (jsonb numeric holds it)", "[1e400]");
    // numeric's limits, each row checked against PostgreSQL 15 ('...'::jsonb): the first significant digit at most
    // 131,071 places before the point, at most 16,383 digits after it as written, an exponent below 2^30 - 1.
    ok("largest leading place", "[1e131071]");
    ok("largest leading place, more digits", "[9.99e131071]");
    ok("largest leading place from a fraction", "[0.1e131072]");
    ok("smallest scale", "[1e-16383]");
    ok("zero with a huge exponent", "[0e200000]");
    ok("zero with the largest exponent", "[0e1073741822]");
    ok("131,072 digits", "[" + QByteArray(131072, '9') + "]");
    bad("one place too large", "[1e131072]", V::OutOfRange, 1, "number outside PostgreSQL's numeric range (too large)");
    bad("the issue's number", R"({"v":1e200000})", V::OutOfRange, 5,
        "number outside PostgreSQL's numeric range (too large)");
    bad("negative too large", "[-1e131072]", V::OutOfRange, 1, "number outside PostgreSQL's numeric range (too large)");
    bad("131,073 digits", "[1" + QByteArray(131072, '0') + "]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (too large)");
    bad("scale one too many", "[1e-16384]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (more than 16383 digits after the point)");
    bad("zero's scale counts", "[0e-16384]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (more than 16383 digits after the point)");
    bad("written fraction digits count", "[1.0e-16383]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (more than 16383 digits after the point)");
    bad("exponent at 2^30 - 1", "[0e1073741823]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (exponent)");
    bad("exponent beyond 64 bits", "[1e99999999999999999999999]", V::OutOfRange, 1,
        "number outside PostgreSQL's numeric range (exponent)");
    ok("empty string", R"("")");
    ok("all simple escapes", R"(["\" \\ \/ \b \f \n \r \t"])");
    ok("BMP escapes", R"("\u00e9\u20AC\u0001\uFFFF")");
    ok("surrogate pair", R"("\uD83D\uDE00")");
    ok("surrogate pair for U+10FFFF, lower case", R"("\udbff\udfff")");
    ok("surrogate pair in a key", R"({"\uD83D\uDE00":1})");
    ok("DEL is not a control character", raw("\"\x7f\""));
    ok("UTF-8 text", raw("{\"city\":\"z\xC3\xBCrich\",\"label\":\"\xE6\xB8\xA9\xE5\xBA\xA6\",\"mood\":\"\xF0\x9F\x98\x80\"}"));
    ok("UTF-8 in a key", raw("{\"temp\xC2\xB0" "C\":1}"));
    ok("UTF-8 after eight ASCII bytes", raw("{\"description\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}"));
    ok("U+0080", raw("\"\xC2\x80\""));
    ok("U+07FF", raw("\"\xDF\xBF\""));
    ok("U+0800", raw("\"\xE0\xA0\x80\""));
    ok("U+D7FF", raw("\"\xED\x9F\xBF\""));
    ok("U+E000", raw("\"\xEE\x80\x80\""));
    ok("U+FFFF", raw("\"\xEF\xBF\xBF\""));
    ok("U+10000", raw("\"\xF0\x90\x80\x80\""));
    ok("U+10FFFF", raw("\"\xF4\x8F\xBF\xBF\""));
    ok("whitespace around", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n\r\t ");
    ok("whitespace around a scalar", " 1 ");
    ok("whitespace in empty containers", "[ \n ] ");
    ok("whitespace in empty object", "{\t}");

    // Empty and too large.
    bad("empty", QByteArray(), V::Empty, 0, "empty payload");
    limited("exactly max_payload_bytes", R"({"a":1234})", 10, DefaultMaxDepth, V::Ok, 0, "");
    limited("one byte over max_payload_bytes", R"({"a":12345})", 10, DefaultMaxDepth, V::TooLarge, 10,
            "payload larger than max_payload_bytes");
    limited("too large wins over invalid UTF-8", raw("[\"\xC0\xAF\"]"), 4, DefaultMaxDepth, V::TooLarge, 4,
            "payload larger than max_payload_bytes");

    // Invalid UTF-8.
    const char *utf8 = "invalid UTF-8 sequence";
    bad("overlong 2-byte slash", raw("[\"\xC0\xAF\"]"), V::InvalidUtf8, 2, utf8);
    bad("overlong C1", raw("[\"\xC1\xBF\"]"), V::InvalidUtf8, 2, utf8);
    bad("overlong 3-byte", raw("[\"\xE0\x80\xAF\"]"), V::InvalidUtf8, 2, utf8);
    bad("overlong 4-byte", raw("[\"\xF0\x80\x80\xAF\"]"), V::InvalidUtf8, 2, utf8);
    bad("lone continuation byte", raw("[\"\x80\"]"), V::InvalidUtf8, 2, utf8);
    bad("continuation after a complete character", raw("[\"\xC3\xA9\x80\"]"), V::InvalidUtf8, 4, utf8);
    bad("truncated 3-byte sequence at the end", raw("\"\xE2\x82"), V::InvalidUtf8, 1, utf8);
    bad("truncated 4-byte sequence at the end", raw("[\"\xF0\x9F\x98"), V::InvalidUtf8, 2, utf8);
    bad("truncated 2-byte sequence at the end", raw("\"ab\xC3"), V::InvalidUtf8, 3, utf8);
    bad("truncated sequence before ASCII", raw("[\"\xE2\x82x\"]"), V::InvalidUtf8, 2, utf8);
    bad("encoded surrogate U+D800", raw("[\"\xED\xA0\x80\"]"), V::InvalidUtf8, 2, utf8);
    bad("encoded surrogate U+DFFF", raw("[\"\xED\xBF\xBF\"]"), V::InvalidUtf8, 2, utf8);
    bad("above U+10FFFF", raw("[\"\xF4\x90\x80\x80\"]"), V::InvalidUtf8, 2, utf8);
    bad("F5 lead byte", raw("[\"\xF5\x80\x80\x80\"]"), V::InvalidUtf8, 2, utf8);
    bad("FE byte", raw("[\"\xFE\"]"), V::InvalidUtf8, 2, utf8);
    bad("FF byte", raw("[\"\xFF\"]"), V::InvalidUtf8, 2, utf8);
    bad("bad byte after eight ASCII bytes", raw("{\"sensor\":\"abcdefgh\x80\"}"), V::InvalidUtf8, 19, utf8);
    bad("bad byte outside a string", raw("[1,\xC0]"), V::InvalidUtf8, 3, utf8);
    // The encoding is checked over the whole payload before the grammar.
    bad("invalid UTF-8 wins over an earlier JSON error", raw("[x \"\xC0\"]"), V::InvalidUtf8, 4, utf8);

    // NUL, raw or escaped.
    bad("raw NUL in a string", raw("{\"a\":\"b\0c\"}"), V::NulCharacter, 7, "NUL byte");
    bad("raw NUL after eight ASCII bytes", raw("{\"sensor\":\"abcd\0efgh\"}"), V::NulCharacter, 15, "NUL byte");
    bad("raw NUL alone", raw("\0"), V::NulCharacter, 0, "NUL byte");
    bad("raw NUL after the document", raw("{}\0"), V::NulCharacter, 2, "NUL byte");
    bad("escaped NUL", R"("\u0000")", V::NulCharacter, 1, "\\u0000 in string");
    bad("escaped NUL inside an object", R"({"k":"x\u0000"})", V::NulCharacter, 7, "\\u0000 in string");
    bad("escaped NUL in a key", R"({"\u0000":1})", V::NulCharacter, 2, "\\u0000 in string");

    // Unpaired surrogates: the offset is that of the unpaired escape.
    invalid("lone high surrogate", R"("\uD800")", 1, "high surrogate without low surrogate");
    invalid("lone low surrogate", R"("\uDC00")", 1, "lone low surrogate");
    invalid("high surrogate then a BMP escape", R"("\uD800\u0041")", 1, "high surrogate without low surrogate");
    invalid("high surrogate then text", R"("a\uD83Dx")", 2, "high surrogate without low surrogate");
    invalid("two high surrogates", R"("\uD83D\uD83D")", 1, "high surrogate without low surrogate");
    invalid("pair in the wrong order", R"("\uDE00\uD83D")", 1, "lone low surrogate");
    invalid("high surrogate at the end of input", R"("\uDBFF)", 1, "high surrogate without low surrogate");
    invalid("lone low surrogate in a key", R"({"k\uDFFF":1})", 3, "lone low surrogate");
    invalid("truncated \\u escape", R"("\u12")", 3, "truncated \\u escape");
    invalid("bad hex digit", R"("\u12G4")", 3, "bad hex digit in \\u escape");

    // Grammar.
    invalid("trailing comma in an array", "[1,2,]", 5, "unexpected character");
    invalid("trailing comma in an object", R"({"a":1,})", 7, "expected a string key");
    invalid("missing colon", R"({"a" 1})", 5, "expected ':'");
    invalid("missing colon before the brace", R"({"a"})", 4, "expected ':'");
    invalid("missing value", R"({"a":})", 5, "unexpected character");
    invalid("single-quoted key", "{'a':1}", 1, "expected a string key");
    invalid("single-quoted string", "['a']", 1, "unexpected character");
    invalid("number as key", "{1:2}", 1, "expected a string key");
    invalid("unterminated string", R"({"a":"bc)", 8, "unterminated string");
    invalid("unterminated top-level string", R"("abc)", 4, "unterminated string");
    invalid("backslash at the end", R"("ab\)", 4, "unterminated string");
    invalid("tab in a string", "[\"a\tb\"]", 3, "control character in string");
    invalid("newline in a string", "\"line\nbreak\"", 5, "control character in string");
    invalid("0x1f in a string", "\"\x1f\"", 1, "control character in string");
    invalid("unknown escape \\x", R"("\x")", 2, "invalid escape");
    invalid("unknown escape \\'", R"("\'")", 2, "invalid escape");
    invalid("upper-case \\U", R"("\U0041")", 2, "invalid escape");
    invalid("leading zero", "01", 1, "trailing characters after the value");
    invalid("leading zero in an array", "[01]", 2, "expected ',' or ']'");
    invalid("negative leading zero", "-01", 2, "trailing characters after the value");
    invalid("double zero", "00", 1, "trailing characters after the value");
    invalid("fraction without digits", "1.", 2, "expected a digit");
    invalid("fraction without digits in an array", "[1.]", 3, "expected a digit");
    invalid("fraction without digits before exponent", "1.e5", 2, "expected a digit");
    invalid("lone minus", "-", 1, "expected a digit");
    invalid("lone minus in an array", "[-]", 2, "expected a digit");
    invalid("double minus", "--1", 1, "expected a digit");
    invalid("no integer part", ".5", 0, "unexpected character");
    invalid("negative without integer part", "-.5", 1, "expected a digit");
    invalid("plus sign", "+1", 0, "unexpected character");
    invalid("exponent without digits", "1e", 2, "expected a digit");
    invalid("exponent sign without digits", "1e+", 3, "expected a digit");
    invalid("fraction, exponent without digits", "1.5e", 4, "expected a digit");
    invalid("hex number", "0x10", 1, "trailing characters after the value");
    invalid("NaN", "NaN", 0, "unexpected character");
    invalid("Infinity", "Infinity", 0, "unexpected character");
    invalid("-Infinity", "-Infinity", 1, "expected a digit");
    invalid("tru", "tru", 0, "unexpected character");
    invalid("tru in an array", "[tru]", 1, "unexpected character");
    invalid("nul", "nul", 0, "unexpected character");
    invalid("fals", "fals", 0, "unexpected character");
    invalid("True", "True", 0, "unexpected character");
    invalid("truex", "truex", 4, "trailing characters after the value");
    invalid("trailing garbage", "{} x", 3, "trailing characters after the value");
    invalid("extra closing bracket", "[1]]", 3, "trailing characters after the value");
    invalid("extra closing brace", "{}}", 2, "trailing characters after the value");
    invalid("two values", "1 2", 2, "trailing characters after the value");
    invalid("two objects", "{} {}", 3, "trailing characters after the value");
    invalid("two strings", R"("a" "b")", 4, "trailing characters after the value");
    invalid("missing comma in an array", "[1 2]", 3, "expected ',' or ']'");
    invalid("missing comma in an object", R"({"a":1 "b":2})", 7, "expected ',' or '}'");
    invalid("array closed by a brace", "[1}", 2, "expected ',' or ']'");
    invalid("object closed by a bracket", R"({"a":1])", 6, "expected ',' or '}'");
    invalid("inner array closed by a brace", R"({"a":[1})", 7, "expected ',' or ']'");
    invalid("object opened, array closed", "[{]", 2, "expected a string key");
    invalid("unterminated array", "[1,2", 4, "expected ',' or ']'");
    invalid("unterminated object", "{", 1, "expected a string key");
    invalid("open bracket only", "[", 1, "unexpected end of input");
    invalid("whitespace only", " \n ", 3, "unexpected end of input");
    invalid("comma only", ",", 0, "unexpected character");
    invalid("closing bracket only", "]", 0, "unexpected character");
    invalid("leading comma", "[,1]", 1, "unexpected character");
    invalid("form feed is not whitespace", "\f[1]", 0, "unexpected character");
    invalid("vertical tab is not whitespace", "[1]\v", 3, "trailing characters after the value");
    invalid("no-break space is not whitespace", raw("\xC2\xA0[1]"), 0, "unexpected character");

    // Nesting.
    const char *deep = "nesting deeper than the limit";
    ok("64 nested arrays (the default limit)", nestedArrays(64));
    bad("65 nested arrays", nestedArrays(65), V::TooDeep, 64, deep);
    ok("64 nested objects", nestedObjects(64));
    bad("65 nested objects", nestedObjects(65), V::TooDeep, 320, deep);
    limited("limit 4, depth 4", "[[[[]]]]", DefaultMaxBytes, 4, V::Ok, 0, "");
    limited("limit 4, depth 5", "[[[[[]]]]]", DefaultMaxBytes, 4, V::TooDeep, 4, deep);
    limited("limit 3, siblings at depth 3", R"([[[1]],{"a":[2]},[{}]])", DefaultMaxBytes, 3, V::Ok, 0, "");
    limited("limit 3, second sibling too deep", "[[[1]],[[[1]]]]", DefaultMaxBytes, 3, V::TooDeep, 9, deep);
    limited("limit 0, scalar", "1", DefaultMaxBytes, 0, V::Ok, 0, "");
    limited("limit 0, empty array", "[]", DefaultMaxBytes, 0, V::TooDeep, 0, deep);
    limited("a JSON error before the depth limit wins", "[x,[[[[", DefaultMaxBytes, 2, V::InvalidJson, 1,
            "unexpected character");
    // Containers are tracked in a 64-bit mask, so a larger limit is capped at 64.
    limited("limit 1000, depth 64", nestedArrays(64), DefaultMaxBytes, 1000, V::Ok, 0, "");
    limited("limit 1000, depth 65", nestedArrays(65), DefaultMaxBytes, 1000, V::TooDeep, 64, deep);
    limited("limit 1000, depth 200", nestedObjects(200), DefaultMaxBytes, 1000, V::TooDeep, 320, deep);
}

void TstPayloadCheck::check()
{
    QFETCH(QByteArray, payload);
    QFETCH(qulonglong, maxBytes);
    QFETCH(int, maxDepth);
    QFETCH(PayloadVerdict, verdict);
    QFETCH(qulonglong, offset);
    QFETCH(QByteArray, detail);
    const PayloadCheckResult r = PayloadCheck(maxBytes, maxDepth).check(payload);
    QCOMPARE(r.verdict, verdict);
    QCOMPARE(r.ok(), verdict == PayloadVerdict::Ok);
    // The walk that also reads members (AlertFeed's, whose verdict the writer then trusts) judges exactly alike.
    const QByteArrayView keys[] = {"a", "temp", "x", "\u0000"};
    std::uint8_t seen[4];
    QByteArrayView values[4];
    PayloadMembers m{keys, 4, seen, values};
    const PayloadCheckResult withMembers = PayloadCheck(maxBytes, maxDepth).check(payload, m);
    QCOMPARE(withMembers.verdict, r.verdict);
    QCOMPARE(withMembers.offset, r.offset);
    QCOMPARE(QByteArray(withMembers.detail), QByteArray(r.detail));
    if (verdict == PayloadVerdict::Ok) {
        QVERIFY(r.reason().isEmpty());
        return;
    }
    QCOMPARE(qulonglong(r.offset), offset);
    QCOMPARE(QByteArray(r.detail), detail);
    QCOMPARE(r.reason(), QStringLiteral("%1 at byte %2: %3")
                             .arg(QLatin1StringView(PayloadCheck::verdictName(verdict)))
                             .arg(offset)
                             .arg(QLatin1StringView(detail)));
}

void TstPayloadCheck::viewIsBounded_data()
{
    QTest::addColumn<QByteArray>("buffer");
    QTest::addColumn<int>("length");
    QTest::addColumn<PayloadVerdict>("verdict");
    QTest::addColumn<qulonglong>("offset");
    QTest::newRow("valid prefix of garbage") << QByteArray("[1]]]]]]]]]]") << 3 << PayloadVerdict::Ok << 0ULL;
    QTest::newRow("string cut before its quote") << QByteArray(R"("abcdefghij")") << 11 << PayloadVerdict::InvalidJson
                                                 << 11ULL;
    QTest::newRow("literal cut short") << QByteArray("true") << 3 << PayloadVerdict::InvalidJson << 0ULL;
    QTest::newRow("escape cut short") << QByteArray(R"("\u0041")") << 5 << PayloadVerdict::InvalidJson << 3ULL;
    QTest::newRow("NUL just past the end") << raw("{\"abcdefgh\":1}\0") << 14 << PayloadVerdict::Ok << 0ULL;
    QTest::newRow("bad UTF-8 just past the end") << raw("[\"abcdefghijk\"]\xFF") << 15 << PayloadVerdict::Ok << 0ULL;
    QTest::newRow("UTF-8 sequence cut by the view") << raw("[\"abcdefgh\xE2\x82\xAC") << 11
                                                    << PayloadVerdict::InvalidUtf8 << 10ULL;
}

void TstPayloadCheck::viewIsBounded()
{
    QFETCH(QByteArray, buffer);
    QFETCH(int, length);
    QFETCH(PayloadVerdict, verdict);
    QFETCH(qulonglong, offset);
    const PayloadCheckResult r = PayloadCheck().check(QByteArrayView(buffer.constData(), length));
    QCOMPARE(r.verdict, verdict);
    QCOMPARE(qulonglong(r.offset), offset);
}

void TstPayloadCheck::reason_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ok") << QByteArray("{}") << QString();
    QTest::newRow("empty") << QByteArray() << QStringLiteral("empty at byte 0: empty payload");
    QTest::newRow("missing colon") << QByteArray(R"({"a" 1})") << QStringLiteral("invalid_json at byte 5: expected ':'");
    QTest::newRow("too large") << QByteArray(17, ' ')
                               << QStringLiteral("too_large at byte 16: payload larger than max_payload_bytes");
    QTest::newRow("UTF-8") << raw("[\"\xFF\"]") << QStringLiteral("invalid_utf8 at byte 2: invalid UTF-8 sequence");
    QTest::newRow("NUL") << QByteArray(R"(["\u0000"])") << QStringLiteral("nul_character at byte 2: \\u0000 in string");
    QTest::newRow("too deep") << nestedArrays(3) << QStringLiteral("too_deep at byte 2: nesting deeper than the limit");
}

void TstPayloadCheck::reason()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, expected);
    QCOMPARE(PayloadCheck(16, 2).check(payload).reason(), expected);
}

void TstPayloadCheck::verdictName_data()
{
    QTest::addColumn<PayloadVerdict>("verdict");
    QTest::addColumn<QByteArray>("name");
    QTest::newRow("Ok") << PayloadVerdict::Ok << QByteArray("ok");
    QTest::newRow("Empty") << PayloadVerdict::Empty << QByteArray("empty");
    QTest::newRow("TooLarge") << PayloadVerdict::TooLarge << QByteArray("too_large");
    QTest::newRow("InvalidUtf8") << PayloadVerdict::InvalidUtf8 << QByteArray("invalid_utf8");
    QTest::newRow("InvalidJson") << PayloadVerdict::InvalidJson << QByteArray("invalid_json");
    QTest::newRow("NulCharacter") << PayloadVerdict::NulCharacter << QByteArray("nul_character");
    QTest::newRow("TooDeep") << PayloadVerdict::TooDeep << QByteArray("too_deep");
    QTest::newRow("OutOfRange") << PayloadVerdict::OutOfRange << QByteArray("out_of_range");
}

void TstPayloadCheck::verdictName()
{
    QFETCH(PayloadVerdict, verdict);
    QFETCH(QByteArray, name);
    QCOMPARE(QByteArray(PayloadCheck::verdictName(verdict)), name);
}

void TstPayloadCheck::agreesWithQJsonDocument_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::newRow("seed 1") << 1U;
    QTest::newRow("seed 20261127") << 20261127U;
    QTest::newRow("seed 4242") << 4242U;
}

void TstPayloadCheck::agreesWithQJsonDocument()
{
    QFETCH(quint32, seed);
    QVERIFY(PayloadCheck().check(SensorPayload).ok());
    QRandomGenerator rng(seed);
    const PayloadCheck checker;
    int bothAccept = 0;
    int bothReject = 0;
    QMap<QByteArray, int> differences;
    for (int i = 0; i < 20000; ++i) {
        const QByteArray doc = mutate(SensorPayload, rng);
        const PayloadCheckResult r = checker.check(doc);
        QJsonParseError error;
        const QJsonDocument parsed = QJsonDocument::fromJson(doc, &error);
        const bool qtAccepts = error.error == QJsonParseError::NoError && (parsed.isObject() || parsed.isArray());
        const QByteArray trimmed = doc.trimmed();
        // Qt 6 only takes an object or an array at the top level; PayloadCheck, like RFC 8259, any value.
        const bool container = trimmed.startsWith('{') || trimmed.startsWith('[');
        if (qtAccepts && r.ok()) {
            ++bothAccept;
        } else if (qtAccepts) {
            const char *why = qtLeniency(doc, r);
            if (!why)
                QFAIL(qPrintable(QStringLiteral("mutation %1: QJsonDocument accepts, PayloadCheck says \"%2\": %3")
                                     .arg(i).arg(r.reason(), QString::fromLatin1(printable(doc)))));
            ++differences[why];
        } else if (r.ok() && container) {
            if (!numberOutOfDoubleRange(doc, error))
                QFAIL(qPrintable(QStringLiteral("mutation %1: PayloadCheck accepts, QJsonDocument says \"%2\" at %3: %4")
                                     .arg(i).arg(error.errorString()).arg(error.offset)
                                     .arg(QString::fromLatin1(printable(doc)))));
            ++differences["number beyond double range"];
        } else if (r.ok()) {
            ++differences["top-level scalar"];
        } else {
            ++bothReject;
        }
    }
    // Both outcomes must be common, or the cross-check proves little.
    QVERIFY2(bothAccept >= 1000, qPrintable(QString::number(bothAccept)));
    QVERIFY2(bothReject >= 1000, qPrintable(QString::number(bothReject)));
    QByteArray summary;
    for (auto it = differences.cbegin(); it != differences.cend(); ++it)
        summary += "; " + it.key() + ": " + QByteArray::number(it.value());
    qInfo("both accept %d, both reject %d%s", bothAccept, bothReject, summary.constData());
}

// What resolveMembers() would answer, from the members the check collected.
QByteArray membersText(const PayloadMembers &m)
{
    if (!m.object)
        return "not an object";
    QByteArray out;
    for (std::size_t k = 0; k < m.n; ++k) {
        out += m.keys[k].toByteArray() + '=';
        if (m.escapedKey || m.seen[k] > 1)
            out += "unsure";
        else if (m.seen[k] == 1)
            out += "found:" + m.values[k].toByteArray();
        else
            out += "missing";
        out += ' ';
    }
    return out.trimmed();
}

QByteArray resolveMembersText(const QByteArray &doc, const QByteArrayView *keys, std::size_t n)
{
    std::vector<JsonPointer::Result> results(n);
    std::vector<QByteArrayView> values(n);
    const QByteArray trimmed = doc.trimmed();
    if (!trimmed.startsWith('{') || !JsonPointer::resolveMembers(doc, keys, n, results.data(), values.data()))
        return "not an object";
    QByteArray out;
    for (std::size_t k = 0; k < n; ++k) {
        out += keys[k].toByteArray() + '=';
        switch (results[k]) {
        case JsonPointer::Result::Found: out += "found:" + values[k].toByteArray(); break;
        case JsonPointer::Result::Missing: out += "missing"; break;
        case JsonPointer::Result::Unsure: out += "unsure"; break;
        }
        out += ' ';
    }
    return out.trimmed();
}

void TstPayloadCheck::members_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("flat") << QByteArray(R"({"temp":21.5,"hum":"48","x":true})")
                          << QByteArray("temp=found:21.5 hum=found:\"48\" x=found:true");
    QTest::newRow("whitespace") << QByteArray(" {\n \"temp\" :\t-1e3 , \"x\" : null\r\n} ")
                                << QByteArray("temp=found:-1e3 hum=missing x=found:null");
    QTest::newRow("nested objects and arrays are values, their keys are not members")
        << QByteArray(R"({"pos":{"temp":1,"hum":{}},"x":[{"temp":2}],"hum":{"a":[1,{"b":2}]}})")
        << QByteArray(R"(temp=missing hum=found:{"a":[1,{"b":2}]} x=found:[{"temp":2}])");
    QTest::newRow("empty containers") << QByteArray(R"({"temp":{},"x":[]})")
                                      << QByteArray("temp=found:{} hum=missing x=found:[]");
    QTest::newRow("a string holding a key and a number")
        << QByteArray(R"({"note":"\"temp\":5,","temp":"21.5"})")
        << QByteArray("temp=found:\"21.5\" hum=missing x=missing");
    QTest::newRow("duplicate key: unsure") << QByteArray(R"({"temp":1,"temp":2})")
                                           << QByteArray("temp=unsure hum=missing x=missing");
    QTest::newRow("escaped key: unsure, it may spell one")
        << QByteArray(R"({"\u0074emp":1,"hum":2})") << QByteArray("temp=unsure hum=unsure x=unsure");
    QTest::newRow("escape in a value's string is fine") << QByteArray(R"({"s":"a\"b","temp":3})")
                                                        << QByteArray("temp=found:3 hum=missing x=missing");
    QTest::newRow("escape in a nested key is fine") << QByteArray(R"({"o":{"\u0074emp":1},"temp":4})")
                                                    << QByteArray("temp=found:4 hum=missing x=missing");
    QTest::newRow("top-level array") << QByteArray(R"([{"temp":1}])") << QByteArray("not an object");
    QTest::newRow("top-level scalar") << QByteArray("21.5") << QByteArray("not an object");
    QTest::newRow("empty object") << QByteArray("{}") << QByteArray("temp=missing hum=missing x=missing");
}

void TstPayloadCheck::members()
{
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, expected);
    const QByteArrayView keys[] = {"temp", "hum", "x"};
    std::uint8_t seen[3];
    QByteArrayView values[3];
    PayloadMembers m{keys, 3, seen, values};
    QVERIFY(PayloadCheck().check(payload, m).ok());
    QCOMPARE(membersText(m), expected);
    QCOMPARE(resolveMembersText(payload, keys, 3), expected);
}

void TstPayloadCheck::membersAgreeWithResolveMembers_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::newRow("seed 7") << 7U;
    QTest::newRow("seed 20261207") << 20261207U;
}

// Mutations of a sensor payload (truncations, escapes, bad numbers, nesting): the walk with members gives the
// verdict the plain check gives, and for a valid object the answers resolveMembers() gives.
void TstPayloadCheck::membersAgreeWithResolveMembers()
{
    QFETCH(quint32, seed);
    QRandomGenerator rng(seed);
    const PayloadCheck checker;
    const QByteArrayView keys[] = {"temp", "hum", "device", "pos", "tags", "note", "ok"};
    constexpr std::size_t n = std::size(keys);
    int valid = 0, invalid = 0, found = 0;
    for (int i = 0; i < 20000; ++i) {
        const QByteArray doc = mutate(SensorPayload, rng);
        std::uint8_t seen[n];
        QByteArrayView values[n];
        double numbers[n];
        PayloadMembers m{keys, n, seen, values, numbers};
        const PayloadCheckResult plain = checker.check(doc);
        const PayloadCheckResult r = checker.check(doc, m);
        QCOMPARE(r.verdict, plain.verdict);
        QCOMPARE(r.offset, plain.offset);
        QCOMPARE(QByteArray(r.detail), QByteArray(plain.detail));
        if (!r.ok()) {
            ++invalid;
            continue;
        }
        ++valid;
        const QByteArray got = membersText(m);
        found += int(got.count("found:"));
        // A number converted in the walk is std::from_chars' double of the value's text.
        for (std::size_t k = 0; k < n; ++k) {
            if (!m.object || seen[k] != 1 || std::isnan(numbers[k]))
                continue;
            double exact = 0;
            const char *end = values[k].data() + values[k].size();
            const auto [ptr, ec] = std::from_chars(values[k].data(), end, exact);
            QVERIFY2(ec == std::errc() && ptr == end && std::memcmp(&exact, &numbers[k], sizeof exact) == 0,
                     qPrintable(QString::fromLatin1(printable(doc))));
        }
        QVERIFY2(got == resolveMembersText(doc, keys, n),
                 qPrintable(QStringLiteral("mutation %1: %2 | %3 | resolveMembers: %4")
                                .arg(i).arg(QString::fromLatin1(printable(doc)), QString::fromUtf8(got),
                                            QString::fromUtf8(resolveMembersText(doc, keys, n)))));
    }
    QVERIFY2(valid >= 1000 && invalid >= 1000 && found >= 1000,
             qPrintable(QStringLiteral("%1 valid, %2 invalid, %3 found").arg(valid).arg(invalid).arg(found)));
}

// The numbers the walk converts (PayloadMembers::numbers) are bit for bit std::from_chars' doubles; plain decimals
// of up to 15 digits are all converted there, anything else (exponents, longer mantissas, strings, containers) is
// left as NaN for the caller. Random numbers of 1–20 digits with and without point, sign and exponent, plus edges.
void TstPayloadCheck::membersNumbersAreFromChars()
{
    QList<QByteArray> texts = {"0", "-0", "0.0", "-0.0", "0.000000000000001", "999999999999999", "-999999999999999",
                               "99999999999999.9", "9999999999999999", "0.1", "0.2", "0.3", "1.7976931348623157",
                               "123456789012345", "1234567890123456", "4503599627370497", "9007199254740993",
                               "1e5", "1E-3", "-2.5e+10", "0.30000000000000004", "21.53", "-273.15", "1200"};
    quint64 x = 0x2545F4914F6CDD1DULL;   // xorshift: the same numbers every run
    for (int i = 0; i < 100000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const int digits = int(x % 20) + 1;
        QByteArray text = QByteArray::number(x >> 3).right(digits);
        while (text.size() > 1 && text.startsWith('0'))
            text.remove(0, 1);   // JSON: no leading zeros
        const int point = int((x >> 5) % quint64(text.size() + 1));
        if (point > 0 && point < text.size())
            text.insert(point, '.');
        if ((x >> 11) % 7 == 0)
            text += "e" + QByteArray::number(int((x >> 17) % 40) - 20);
        if (x & 1)
            text.prepend('-');
        texts << text;
    }
    const QByteArrayView keys[] = {"v", "w"};
    const PayloadCheck checker;
    int converted = 0;
    for (const QByteArray &text : std::as_const(texts)) {
        const QByteArray doc = R"({"a": 1.5, "v": )" + text + R"(, "w": [)" + text + "]}";
        std::uint8_t seen[2];
        QByteArrayView values[2];
        double numbers[2];
        PayloadMembers m{keys, 2, seen, values, numbers};
        QVERIFY2(checker.check(doc, m).ok(), doc.constData());
        QCOMPARE(int(seen[0]), 1);
        QCOMPARE(int(seen[1]), 1);
        QVERIFY2(std::isnan(numbers[1]), doc.constData());   // an array holding a number is not a number
        double exact = 0;
        const auto [ptr, ec] = std::from_chars(text.constData(), text.constData() + text.size(), exact);
        QVERIFY(ec == std::errc() && ptr == text.constData() + text.size());
        const qsizetype significant = text.size() - text.count('-') - text.count('.');
        const bool plain = !text.contains('e') && !text.contains('E') && significant <= 15;
        QVERIFY2(plain != std::isnan(numbers[0]), doc.constData());
        if (!plain)
            continue;
        ++converted;
        QVERIFY2(std::memcmp(&exact, &numbers[0], sizeof exact) == 0,
                 qPrintable(QStringLiteral("%1: walk %2, from_chars %3")
                                .arg(QString::fromLatin1(text)).arg(numbers[0], 0, 'g', 17).arg(exact, 0, 'g', 17)));
    }
    QVERIFY2(converted > 50000, qPrintable(QString::number(converted)));
}

QTEST_APPLESS_MAIN(TstPayloadCheck)
#include "tst_payloadcheck.moc"
