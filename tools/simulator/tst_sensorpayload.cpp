// SPDX-License-Identifier: MIT
#include "sensorpayload.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <clocale>
#include <limits>

using iot::PayloadOptions;
using iot::SensorPayload;

/// Unit tests of the simulator's topic and payload builder: JSON validity, seq traceability, topic spread, padding.
/// Pure logic, runs on the test's main thread.
class TestSensorPayload final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void payloadIsValidJson_data();
    void payloadIsValidJson();
    void paddingIsExact_data();
    void paddingIsExact();
    void topicsSpreadOverSensorsAndRooms_data();
    void topicsSpreadOverSensorsAndRooms();
    void invalidPayloadIsTraceable();
    void valuesVarySmoothly();
    void numbersIgnoreTheLocale();

private:
    static bool parse(const QByteArray &json, QJsonObject *object);
};

bool TestSensorPayload::parse(const QByteArray &json, QJsonObject *object)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    *object = doc.object();
    return error.error == QJsonParseError::NoError && doc.isObject();
}

void TestSensorPayload::payloadIsValidJson_data()
{
    QTest::addColumn<quint64>("seq");
    QTest::addColumn<int>("sensor");
    QTest::addColumn<qint64>("ts");
    QTest::addColumn<QByteArray>("expectedName");

    QTest::newRow("first") << quint64(1) << 0 << qint64(1764210065123) << QByteArrayLiteral("s-001");
    QTest::newRow("typical") << quint64(123) << 16 << qint64(1764210065123) << QByteArrayLiteral("s-017");
    QTest::newRow("seq zero") << quint64(0) << 9 << qint64(0) << QByteArrayLiteral("s-010");
    QTest::newRow("four-digit sensor") << quint64(77) << 1234 << qint64(1) << QByteArrayLiteral("s-1235");
    QTest::newRow("huge seq") << std::numeric_limits<quint64>::max() << 3 << qint64(1764210065123)
                              << QByteArrayLiteral("s-004");
}

void TestSensorPayload::payloadIsValidJson()
{
    QFETCH(quint64, seq);
    QFETCH(int, sensor);
    QFETCH(qint64, ts);
    QFETCH(QByteArray, expectedName);

    SensorPayload builder;
    builder.build(seq, sensor, ts);
    const QByteArray &payload = builder.payload();
    QJsonObject o;
    QVERIFY2(parse(payload, &o), payload.constData());

    QCOMPARE(o.value(QLatin1String("sensor")).toString().toUtf8(), expectedName);
    // JSON numbers go through double in QJsonDocument; the text must carry the exact integer.
    QVERIFY(payload.contains(QByteArray("\"seq\":" + QByteArray::number(seq) + ',')));
    QVERIFY(payload.contains(QByteArray("\"ts\":" + QByteArray::number(ts) + ',')));
    QVERIFY(o.value(QLatin1String("seq")).isDouble());
    QVERIFY(o.value(QLatin1String("ts")).isDouble());
    const double t = o.value(QLatin1String("temperature")).toDouble(-1000);
    const double h = o.value(QLatin1String("humidity")).toDouble(-1000);
    QVERIFY2(t > 10 && t < 35, qPrintable(QString::number(t)));
    QVERIFY2(h > 20 && h < 80, qPrintable(QString::number(h)));
    QVERIFY(!o.contains(QLatin1String("pad")));
    QVERIFY2(payload.size() >= 60 && payload.size() <= 130, payload.constData());
}

void TestSensorPayload::paddingIsExact_data()
{
    QTest::addColumn<int>("extra");   // bytes above the natural size; negative: a request below it

    QTest::newRow("below natural") << -40;
    QTest::newRow("natural") << 0;
    for (int extra = 1; extra <= 10; ++extra)  // 1..8 need whitespace, 9 is an empty pad field
        QTest::newRow(qPrintable(QStringLiteral("+%1").arg(extra))) << extra;
    QTest::newRow("+100") << 100;
    QTest::newRow("+4000") << 4000;
    QTest::newRow("+1 MiB") << 1024 * 1024;
}

void TestSensorPayload::paddingIsExact()
{
    QFETCH(int, extra);
    constexpr quint64 seq = 4242;
    constexpr qint64 ts = 1764210065123;

    SensorPayload natural;
    natural.build(seq, 5, ts);
    const int requested = int(natural.payload().size()) + extra;

    SensorPayload padded(PayloadOptions{.payloadSize = requested});
    padded.build(seq, 5, ts);
    QJsonObject o;
    QJsonObject plain;
    QVERIFY2(parse(padded.payload(), &o), padded.payload().left(200).constData());
    QVERIFY(parse(natural.payload(), &plain));
    QCOMPARE(padded.payload().size(), std::max<qsizetype>(requested, natural.payload().size()));
    QCOMPARE(o.value(QLatin1String("seq")).toInteger(), qint64(seq));
    QCOMPARE(o.value(QLatin1String("temperature")), plain.value(QLatin1String("temperature")));
    if (extra >= 9) {
        const QString pad = o.value(QLatin1String("pad")).toString();
        QCOMPARE(pad.size(), extra - 9);
        QVERIFY(pad.count(QLatin1Char('x')) == pad.size());
    }

    // The reused buffer must follow a shorter next message rather than keep stale bytes.
    natural.build(7, 0, 0);
    padded.build(7, 0, 0);
    QCOMPARE(padded.payload().size(), std::max<qsizetype>(requested, natural.payload().size()));
    QVERIFY(parse(padded.payload(), &o));
    QCOMPARE(o.value(QLatin1String("seq")).toInteger(), 7);
}

void TestSensorPayload::topicsSpreadOverSensorsAndRooms_data()
{
    QTest::addColumn<int>("sensors");
    QTest::addColumn<int>("rooms");
    QTest::addColumn<QByteArray>("prefix");

    QTest::newRow("defaults") << 10 << 4 << QByteArrayLiteral("sensors");
    QTest::newRow("one sensor") << 1 << 4 << QByteArrayLiteral("sensors");
    QTest::newRow("more rooms than sensors") << 3 << 8 << QByteArrayLiteral("sensors");
    QTest::newRow("many") << 1000 << 25 << QByteArrayLiteral("site/a/sensors");
}

void TestSensorPayload::topicsSpreadOverSensorsAndRooms()
{
    QFETCH(int, sensors);
    QFETCH(int, rooms);
    QFETCH(QByteArray, prefix);

    SensorPayload builder(PayloadOptions{.topicPrefix = prefix, .sensors = sensors, .rooms = rooms});
    const QRegularExpression shape(QRegularExpression::anchoredPattern(
        QRegularExpression::escape(QString::fromUtf8(prefix)) + QStringLiteral("/(lab-\\d+)/(s-\\d{3,})")));
    QSet<QByteArray> topics;
    QSet<QString> roomsSeen;
    for (int k = 0; k < sensors * 3; ++k) {
        const int sensor = k % sensors;
        builder.build(quint64(k + 1), sensor, 0);
        const QByteArray topic = builder.topic();
        const auto m = shape.match(QString::fromUtf8(topic));
        QVERIFY2(m.hasMatch(), topic.constData());
        QJsonObject o;
        QVERIFY(parse(builder.payload(), &o));
        QCOMPARE(m.captured(2), o.value(QLatin1String("sensor")).toString());
        QCOMPARE(m.captured(1).toUtf8(), builder.roomName(sensor));
        topics.insert(topic);
        roomsSeen.insert(m.captured(1));
    }
    QCOMPARE(topics.size(), sensors);
    QCOMPARE(roomsSeen.size(), std::min(sensors, rooms));
}

void TestSensorPayload::invalidPayloadIsTraceable()
{
    SensorPayload builder;
    builder.buildInvalid(12, 0);
    QCOMPARE(builder.payload(), QByteArrayLiteral("{\"sensor\":\"s-001\",\"seq\":12,"));
    QCOMPARE(builder.topic(), QByteArrayLiteral("sensors/lab-1/s-001"));
    QJsonParseError error{};
    QJsonDocument::fromJson(builder.payload(), &error);
    QVERIFY(error.error != QJsonParseError::NoError);

    // A valid message after an invalid one is complete again.
    builder.build(13, 1, 0);
    QJsonObject o;
    QVERIFY2(parse(builder.payload(), &o), builder.payload().constData());
    QCOMPARE(o.value(QLatin1String("seq")).toInteger(), 13);
}

void TestSensorPayload::valuesVarySmoothly()
{
    constexpr int sensors = 10;
    SensorPayload builder(PayloadOptions{.sensors = sensors});
    for (int sensor : {0, 3, 9}) {
        double minT = 1e9, maxT = -1e9;
        double previousT = builder.temperature(quint64(sensor + 1), sensor);
        double previousH = builder.humidity(quint64(sensor + 1), sensor);
        for (quint64 seq = quint64(sensor + 1) + sensors; seq < 20000; seq += sensors) {
            const double t = builder.temperature(seq, sensor);
            const double h = builder.humidity(seq, sensor);
            QVERIFY(qAbs(t - previousT) < 0.2);
            QVERIFY(qAbs(h - previousH) < 0.2);
            minT = std::min(minT, t);
            maxT = std::max(maxT, t);
            previousT = t;
            previousH = h;
        }
        QVERIFY(maxT - minT > 2.0);
    }
}

void TestSensorPayload::numbersIgnoreTheLocale()
{
    // QCoreApplication adopts the environment's locale; a comma decimal separator must not leak into JSON.
    const bool switched = std::setlocale(LC_NUMERIC, "de_DE.UTF-8") || std::setlocale(LC_NUMERIC, "fr_FR.UTF-8");
    SensorPayload builder;
    builder.build(5, 2, 1764210065123);
    std::setlocale(LC_NUMERIC, "C");
    QJsonObject o;
    QVERIFY2(parse(builder.payload(), &o), builder.payload().constData());
    QVERIFY2(o.value(QLatin1String("temperature")).isDouble(), builder.payload().constData());
    QVERIFY(o.value(QLatin1String("humidity")).isDouble());
    if (!switched)
        qInfo("no comma-decimal locale installed; checked under the C locale only");
}

QTEST_APPLESS_MAIN(TestSensorPayload)
#include "tst_sensorpayload.moc"
