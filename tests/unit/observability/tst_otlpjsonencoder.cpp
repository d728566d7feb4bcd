// SPDX-License-Identifier: MIT
#include "observability/otlpjsonencoder.h"
#include "observability/tracespan.h"
#include "otlpreceiver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <limits>

using namespace iot;
using iot::test::OtlpReceiver;

Q_DECLARE_METATYPE(iot::TraceSpan::Value)

namespace {

QByteArray bytes(int first, int count)
{
    QByteArray b;
    for (int i = 0; i < count; ++i)
        b.append(char(first + i));
    return b;
}

TraceSpan knownSpan()
{
    TraceSpan span;
    span.traceId = bytes(1, 16);
    span.spanId = bytes(0xa0, 8);
    span.name = QStringLiteral("batch write");
    span.kind = TraceSpan::Kind::Client;
    span.startNs = 1'700'000'000'123'456'000;
    span.endNs = 1'700'000'000'223'456'789;
    span.attribute(QStringLiteral("table"), QStringLiteral("readings"))
        .attribute(QStringLiteral("rows"), std::int64_t(42))
        .attribute(QStringLiteral("ratio"), 0.25)
        .attribute(QStringLiteral("retried"), false);
    span.status = TraceSpan::Status::Error;
    span.statusMessage = QStringLiteral("connection lost");
    return span;
}

QJsonObject firstSpan(const QByteArray &json)
{
    return QJsonDocument::fromJson(json)
        .object()[QStringLiteral("resourceSpans")][0][QStringLiteral("scopeSpans")][0][QStringLiteral("spans")][0]
        .toObject();
}

} // namespace

/// The OTLP/HTTP JSON encoding of spans, and the validator the integration tests use on what a collector receives.
/// Pure logic, one thread.
class TstOtlpJsonEncoder final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void knownSpan();
    void resourceAndScope();
    void attributeTypes_data();
    void attributeTypes();
    void unsetStatusAndNoAttributes();
    void rootSpanIds();
    void validatorAcceptsOurOutput();
    void validatorRejects_data();
    void validatorRejects();
};

void TstOtlpJsonEncoder::knownSpan()
{
    const TraceSpan span = ::knownSpan();
    const QJsonObject o = firstSpan(OtlpJsonEncoder(QStringLiteral("svc"), QStringLiteral("1.2.3")).encode({&span, 1}));
    QCOMPARE(o[QStringLiteral("traceId")].toString(), QStringLiteral("0102030405060708090a0b0c0d0e0f10"));
    QCOMPARE(o[QStringLiteral("spanId")].toString(), QStringLiteral("a0a1a2a3a4a5a6a7"));
    QVERIFY(!o.contains(QStringLiteral("parentSpanId")));
    QCOMPARE(o[QStringLiteral("name")].toString(), QStringLiteral("batch write"));
    QCOMPARE(o[QStringLiteral("kind")].toInt(), 3);
    // int64 nanoseconds as decimal strings: a JSON number would round them.
    QCOMPARE(o[QStringLiteral("startTimeUnixNano")], QJsonValue(QStringLiteral("1700000000123456000")));
    QCOMPARE(o[QStringLiteral("endTimeUnixNano")], QJsonValue(QStringLiteral("1700000000223456789")));
    const QJsonArray attributes = o[QStringLiteral("attributes")].toArray();
    QCOMPARE(attributes.size(), 4);
    QCOMPARE(QJsonDocument(attributes).toJson(QJsonDocument::Compact),
             QByteArray(R"([{"key":"table","value":{"stringValue":"readings"}},)"
                        R"({"key":"rows","value":{"intValue":"42"}},)"
                        R"({"key":"ratio","value":{"doubleValue":0.25}},)"
                        R"({"key":"retried","value":{"boolValue":false}}])"));
    QCOMPARE(o[QStringLiteral("status")].toObject(),
             (QJsonObject{{QStringLiteral("code"), 2}, {QStringLiteral("message"), QStringLiteral("connection lost")}}));
}

void TstOtlpJsonEncoder::resourceAndScope()
{
    const TraceSpan span = ::knownSpan();
    const QJsonObject root = QJsonDocument::fromJson(
        OtlpJsonEncoder(QStringLiteral("plant-7"), QStringLiteral("1.2.3")).encode({&span, 1})).object();
    QCOMPARE(root.keys(), QStringList{QStringLiteral("resourceSpans")});
    const QJsonObject rs = root[QStringLiteral("resourceSpans")][0].toObject();
    QCOMPARE(QJsonDocument(rs[QStringLiteral("resource")].toObject()).toJson(QJsonDocument::Compact),
             QByteArray(R"({"attributes":[{"key":"service.name","value":{"stringValue":"plant-7"}},)"
                        R"({"key":"service.version","value":{"stringValue":"1.2.3"}}]})"));
    const QJsonObject scope = rs[QStringLiteral("scopeSpans")][0][QStringLiteral("scope")].toObject();
    QCOMPARE(scope[QStringLiteral("name")].toString(), QStringLiteral("iot-subscriber"));
    QCOMPARE(rs[QStringLiteral("scopeSpans")][0][QStringLiteral("spans")].toArray().size(), 1);
}

void TstOtlpJsonEncoder::attributeTypes_data()
{
    QTest::addColumn<TraceSpan::Value>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("string") << TraceSpan::Value(QStringLiteral("a \"quoted\" ü")) << QByteArray(R"({"stringValue":"a \"quoted\" ü"})");
    QTest::newRow("empty string") << TraceSpan::Value(QString()) << QByteArray(R"({"stringValue":""})");
    QTest::newRow("int64 max") << TraceSpan::Value(std::numeric_limits<std::int64_t>::max())
                               << QByteArray(R"({"intValue":"9223372036854775807"})");
    QTest::newRow("negative int") << TraceSpan::Value(std::int64_t(-5)) << QByteArray(R"({"intValue":"-5"})");
    QTest::newRow("double") << TraceSpan::Value(1.5) << QByteArray(R"({"doubleValue":1.5})");
    QTest::newRow("NaN") << TraceSpan::Value(std::numeric_limits<double>::quiet_NaN())
                         << QByteArray(R"({"doubleValue":"NaN"})");
    QTest::newRow("-infinity") << TraceSpan::Value(-std::numeric_limits<double>::infinity())
                               << QByteArray(R"({"doubleValue":"-Infinity"})");
    QTest::newRow("true") << TraceSpan::Value(true) << QByteArray(R"({"boolValue":true})");
}

void TstOtlpJsonEncoder::attributeTypes()
{
    QFETCH(TraceSpan::Value, value);
    QFETCH(QByteArray, expected);
    TraceSpan span = ::knownSpan();
    span.attributes = {{QStringLiteral("k"), value}};
    const QJsonObject o = firstSpan(OtlpJsonEncoder(QStringLiteral("s"), QStringLiteral("v")).encode({&span, 1}));
    const QJsonObject any = o[QStringLiteral("attributes")][0][QStringLiteral("value")].toObject();
    QCOMPARE(QJsonDocument(any).toJson(QJsonDocument::Compact), expected);
}

void TstOtlpJsonEncoder::unsetStatusAndNoAttributes()
{
    TraceSpan span = ::knownSpan();
    span.attributes.clear();
    span.status = TraceSpan::Status::Unset;
    span.parentSpanId = bytes(0x30, 8);
    const QJsonObject o = firstSpan(OtlpJsonEncoder(QStringLiteral("s"), QStringLiteral("v")).encode({&span, 1}));
    QVERIFY(!o.contains(QStringLiteral("status")));
    QVERIFY(!o.contains(QStringLiteral("attributes")));
    QCOMPARE(o[QStringLiteral("parentSpanId")].toString(), QStringLiteral("3031323334353637"));

    span.status = TraceSpan::Status::Ok;  // an Ok status carries no message, even if one was set
    const QJsonObject ok = firstSpan(OtlpJsonEncoder(QStringLiteral("s"), QStringLiteral("v")).encode({&span, 1}));
    QCOMPARE(ok[QStringLiteral("status")].toObject(), (QJsonObject{{QStringLiteral("code"), 1}}));
}

void TstOtlpJsonEncoder::rootSpanIds()
{
    QSet<QByteArray> traceIds;
    QSet<QByteArray> spanIds;
    for (int i = 0; i < 1000; ++i) {
        const TraceSpan s = TraceSpan::root(QStringLiteral("x"), TraceSpan::Kind::Internal, 1'700'000'000'000'001,
                                            1'700'000'000'000'002);
        QCOMPARE(s.traceId.size(), 16);
        QCOMPARE(s.spanId.size(), 8);
        QVERIFY(s.traceId.count('\0') != 16);
        traceIds.insert(s.traceId);
        spanIds.insert(s.spanId);
        QCOMPARE(s.startNs, 1'700'000'000'000'001'000);
        QCOMPARE(s.endNs, 1'700'000'000'000'002'000);
    }
    QCOMPARE(traceIds.size(), 1000);
    QCOMPARE(spanIds.size(), 1000);
}

void TstOtlpJsonEncoder::validatorAcceptsOurOutput()
{
    std::vector<TraceSpan> spans{::knownSpan(), TraceSpan::root(QStringLiteral("mqtt reconnect"),
                                                                TraceSpan::Kind::Internal, 1'700'000'000'000'000,
                                                                1'700'000'001'000'000)};
    const QByteArray body = OtlpJsonEncoder(QStringLiteral("s"), QStringLiteral("v")).encode(spans);
    QCOMPARE(OtlpReceiver::problems(body), QStringList());
}

void TstOtlpJsonEncoder::validatorRejects_data()
{
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<QByteArray>("to");
    QTest::addColumn<QString>("problem");
    QTest::newRow("base64 trace id") << QByteArray("\"0102030405060708090a0b0c0d0e0f10\"")
                                     << QByteArray("\"AQIDBAUGBwgJCgsMDQ4PEA==\"") << QStringLiteral("traceId");
    QTest::newRow("short span id") << QByteArray("\"a0a1a2a3a4a5a6a7\"") << QByteArray("\"a0a1a2a3\"")
                                   << QStringLiteral("spanId");
    QTest::newRow("number timestamp") << QByteArray("\"1700000000123456000\"") << QByteArray("1700000000123456000")
                                      << QStringLiteral("nanosecond");
    QTest::newRow("microseconds") << QByteArray("\"1700000000123456000\"") << QByteArray("\"1700000000123456\"")
                                  << QStringLiteral("nanosecond");
    QTest::newRow("int as number") << QByteArray("{\"intValue\":\"42\"}") << QByteArray("{\"intValue\":42}")
                                   << QStringLiteral("bad intValue");
    QTest::newRow("untyped value") << QByteArray("{\"stringValue\":\"readings\"}") << QByteArray("\"readings\"")
                                   << QStringLiteral("exactly one field");
    QTest::newRow("kind as name") << QByteArray("\"kind\":3") << QByteArray("\"kind\":\"SPAN_KIND_CLIENT\"")
                                  << QStringLiteral("kind");
}

void TstOtlpJsonEncoder::validatorRejects()
{
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    QFETCH(QString, problem);
    const TraceSpan span = ::knownSpan();
    QByteArray body = OtlpJsonEncoder(QStringLiteral("s"), QStringLiteral("v")).encode({&span, 1});
    QVERIFY2(body.contains(from), body.constData());
    body.replace(from, to);
    const QStringList problems = OtlpReceiver::problems(body);
    QVERIFY2(problems.join(u'\n').contains(problem), qPrintable(problems.join(u'\n')));
}

QTEST_APPLESS_MAIN(TstOtlpJsonEncoder)
#include "tst_otlpjsonencoder.moc"
