// SPDX-License-Identifier: MIT
// CsvWriter: RFC 4180 quoting field by field, CRLF records, flushing in chunks, and a device that refuses writes.
#include "export/csvwriter.h"

#include <QBuffer>
#include <QTest>

using namespace iot;

class TstCsvWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void field_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QByteArray>("written");
        QTest::newRow("plain") << QByteArray("sensors/a") << QByteArray("sensors/a");
        QTest::newRow("empty") << QByteArray() << QByteArray();
        QTest::newRow("comma") << QByteArray("a,b") << QByteArray("\"a,b\"");
        QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray("\"say \"\"hi\"\"\"");
        QTest::newRow("only a quote") << QByteArray("\"") << QByteArray("\"\"\"\"");
        QTest::newRow("LF") << QByteArray("a\nb") << QByteArray("\"a\nb\"");
        QTest::newRow("CR") << QByteArray("a\rb") << QByteArray("\"a\rb\"");
        QTest::newRow("spaces kept, unquoted") << QByteArray(" a b ") << QByteArray(" a b ");
        QTest::newRow("UTF-8 as is") << QByteArray("K\xc3\xbchlraum \xe2\x84\x83") << QByteArray("K\xc3\xbchlraum \xe2\x84\x83");
        QTest::newRow("JSON") << QByteArray(R"({"a": 1, "b": "x"})") << QByteArray(R"("{""a"": 1, ""b"": ""x""}")");
    }
    void field()
    {
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, written);
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        CsvWriter csv(&out);
        csv.field("first");
        csv.field(value);
        csv.endRecord();
        QVERIFY(csv.flush());
        QCOMPARE(out.data(), QByteArray("first,") + written + "\r\n");
    }

    void recordsAndEmptyFields()
    {
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        CsvWriter csv(&out);
        for (const char *v : {"a", "", ""})
            csv.field(v);
        csv.endRecord();
        csv.field("");
        csv.endRecord();
        QVERIFY(csv.flush());
        QCOMPARE(out.data(), QByteArray("a,,\r\n\r\n"));
    }

    void flushesInChunks()
    {
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        CsvWriter csv(&out);
        const QByteArray value(1000, 'x');
        for (int i = 0; i < 200; ++i) {
            csv.field(value);
            csv.endRecord();
        }
        // 200 kB went through a 64 KiB buffer: most of it is on the device before the final flush.
        QVERIFY(out.data().size() >= 128 * 1024);
        QVERIFY(out.data().size() < 200 * 1002);
        QVERIFY(csv.flush());
        QCOMPARE(out.data().size(), 200 * 1002);
    }

    void refusedWriteIsSticky()
    {
        QBuffer out;
        out.open(QIODevice::ReadOnly);  // write() returns -1
        CsvWriter csv(&out);
        csv.field("a");
        csv.endRecord();
        QVERIFY(!csv.flush());
        QVERIFY(csv.failed());
        csv.field("b");
        csv.endRecord();
        QVERIFY(!csv.flush());
    }
};

QTEST_APPLESS_MAIN(TstCsvWriter)
#include "tst_csvwriter.moc"
