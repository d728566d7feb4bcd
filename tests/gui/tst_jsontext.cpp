// SPDX-License-Identifier: MIT
// JsonText: previews for the tree, pretty payloads, and the numeric fields an operator can plot.
#include "jsontext.h"

#include <QTest>

using namespace iot;

class TstJsonText final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void preview_data();
    void preview();
    void prettyAndFields();
};

void TstJsonText::preview_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("text");
    QTest::newRow("object") << QByteArray(R"({"sensor":"s-001","temperature":21.5,"ok":true,"v":[1,2]})")
                            << QStringLiteral("ok: true, sensor: s-001, temperature: 21.5, v: [2 items]");   // keys sorted
    QTest::newRow("long") << QByteArray(R"({"a":")" + QByteArray(200, 'x') + R"("})")
                          << QStringLiteral("a: ") + QString(76, QLatin1Char('x')) + QStringLiteral("…");
    QTest::newRow("text") << QByteArray("  hello\n world ") << QStringLiteral("hello world");
    QTest::newRow("binary") << QByteArray("\xff\xfe\x01", 3) << QStringLiteral("(binary, 3 bytes)");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("(empty)");
}

void TstJsonText::preview()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, text);
    QCOMPARE(JsonText::preview(payload), text);
}

void TstJsonText::prettyAndFields()
{
    const QByteArray p = R"({"t":21.5,"meta":{"battery":87,"id":"x"},"v":[1,{"w":2}]})";
    QVERIFY(JsonText::pretty(p).contains(QStringLiteral("\n    \"t\": 21.5")));
    const QList<NumericField> f = JsonText::numericFields(p);
    QStringList paths;
    for (const NumericField &n : f)
        paths << n.path;
    QCOMPARE(paths, QStringList({QStringLiteral("meta.battery"), QStringLiteral("t"), QStringLiteral("v.0"),
                                 QStringLiteral("v.1.w")}));
    QCOMPARE(JsonText::numberAt(p, QStringLiteral("meta.battery")).value_or(-1), 87.0);
    QCOMPARE(JsonText::numberAt(p, QStringLiteral("v.1.w")).value_or(-1), 2.0);
    QVERIFY(!JsonText::numberAt(p, QStringLiteral("meta.id")));
    QVERIFY(!JsonText::numberAt("not json", QStringLiteral("t")));
    QCOMPARE(JsonText::pretty("not json"), QStringLiteral("not json"));
}

QTEST_APPLESS_MAIN(TstJsonText)
#include "tst_jsontext.moc"
