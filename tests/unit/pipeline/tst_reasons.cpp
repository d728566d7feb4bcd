// SPDX-License-Identifier: MIT
// Dead-letter reasons are decided where a message is judged and map onto the fixed label set metrics and the UI use.
#include "pipeline/payloadcheck.h"
#include "pipeline/reasons.h"

#include <QTest>

using namespace iot;
using Reasons::DeadLetter;

class TstReasons final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void payloadVerdict_data();
    void payloadVerdict();
    void everyPayloadVerdictHasItsLabel();
};

void TstReasons::payloadVerdict_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("expected");
    QTest::newRow("invalid json") << QByteArray("{\"a\" 1}") << int(DeadLetter::InvalidJson);
    QTest::newRow("utf8") << QByteArray("\"\xff\"") << int(DeadLetter::InvalidUtf8);
    QTest::newRow("nul") << QByteArray("\"\\u0000\"") << int(DeadLetter::NulCharacter);
    QTest::newRow("empty") << QByteArray() << int(DeadLetter::Empty);
    QTest::newRow("too large") << QByteArray(100, ' ') << int(DeadLetter::TooLarge);
    QTest::newRow("too deep") << QByteArray(10, '[') + QByteArray(10, ']') << int(DeadLetter::TooDeep);
    QTest::newRow("out of range") << QByteArray("[1e200000]") << int(DeadLetter::OutOfRange);
}

void TstReasons::payloadVerdict()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, expected);
    const PayloadCheckResult r = PayloadCheck(64, 4).check(payload);
    QVERIFY(!r.ok());
    QCOMPARE(int(r.deadLetter()), expected);
}

void TstReasons::everyPayloadVerdictHasItsLabel()
{
    // PayloadCheck's verdict names (the start of the stored reason text) and the dead-letter labels must not drift
    // apart.
    for (PayloadVerdict v : {PayloadVerdict::Empty, PayloadVerdict::TooLarge, PayloadVerdict::InvalidUtf8,
                             PayloadVerdict::InvalidJson, PayloadVerdict::NulCharacter, PayloadVerdict::TooDeep,
                             PayloadVerdict::OutOfRange}) {
        PayloadCheckResult r;
        r.verdict = v;
        r.detail = "x";
        QVERIFY2(r.deadLetter() != DeadLetter::Other, PayloadCheck::verdictName(v));
        QCOMPARE(QLatin1String(Reasons::DeadLetterNames[std::size_t(r.deadLetter())]),
                 QLatin1String(PayloadCheck::verdictName(v)));
        QVERIFY(r.reason().startsWith(QLatin1String(PayloadCheck::verdictName(v))));
    }
}

QTEST_APPLESS_MAIN(TstReasons)
#include "tst_reasons.moc"
