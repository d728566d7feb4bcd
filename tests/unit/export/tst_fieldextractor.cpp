// SPDX-License-Identifier: MIT
// FieldExtractor: a pointer's value as CSV text, on the byte path and where it must fall back to QJsonDocument.
#include "export/fieldextractor.h"

#include <QTest>

using namespace iot;

class TstFieldExtractor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void extract_data()
    {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QByteArray>("value");
        const auto row = [](const char *name, const char *pointer, const char *payload, const char *value) {
            QTest::newRow(name) << QString::fromUtf8(pointer) << QByteArray(payload) << QByteArray(value);
        };
        row("number as written", "/v", R"({"v": 21.50})", "21.50");
        row("string", "/s", R"({"s":"plain"})", "plain");
        // Not a raw string: moc's scanner takes the \" inside one for the literal's end.
        row("escaped string", "/s", "{\"s\":\"a\\\"b\\nc\\u00e9\"}", "a\"b\nc\xc3\xa9");
        row("nested", "/meta/unit", R"({"meta":{"unit":"C"}})", "C");
        row("array index", "/a/1", R"({"a":[1,2,3]})", "2");
        row("object as JSON", "/o", R"({"o":{"x":1}})", "{\"x\":1}");
        row("boolean", "/b", R"({"b":true})", "true");
        row("null is empty", "/n", R"({"n":null})", "");
        row("missing is empty", "/nope", R"({"v":1})", "");
        row("escaped key (reference path)", "/k", R"({"\u006b": 7})", "7");
        row("repeated key (reference path: the last)", "/k", R"({"k": 1, "k": "two"})", "two");
        row("tilde escapes", "/a~1b", R"({"a/b": 5})", "5");
        row("whole document", "", R"({"a":1})", R"({"a":1})");
    }
    void extract()
    {
        QFETCH(QString, pointer);
        QFETCH(QByteArray, payload);
        QFETCH(QByteArray, value);
        FieldExtractor f(QStringLiteral("x"), pointer);
        QCOMPARE(f.extract(payload).toByteArray(), value);
    }
};

QTEST_APPLESS_MAIN(TstFieldExtractor)
#include "tst_fieldextractor.moc"
