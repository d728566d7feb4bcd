// SPDX-License-Identifier: MIT
// Dead-letter reason texts map onto the fixed label set that metrics and the UI use.
#include "pipeline/payloadcheck.h"
#include "pipeline/reasons.h"

#include <QTest>

using namespace iot;
using Reasons::DeadLetter;

class TstReasons final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data();
    void classify();
    void everyPayloadVerdictHasItsLabel();
};

void TstReasons::classify_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("expected");
    QTest::newRow("invalid json") << "invalid_json at byte 3: expected ':'" << int(DeadLetter::InvalidJson);
    QTest::newRow("utf8") << "invalid_utf8 at byte 9: invalid UTF-8 sequence" << int(DeadLetter::InvalidUtf8);
    QTest::newRow("nul") << "nul_character at byte 0: NUL byte" << int(DeadLetter::NulCharacter);
    QTest::newRow("empty") << "empty at byte 0: empty payload" << int(DeadLetter::Empty);
    QTest::newRow("too large") << "too_large at byte 1000: payload larger than max_payload_bytes" << int(DeadLetter::TooLarge);
    QTest::newRow("too deep") << "too_deep at byte 64: nesting deeper than the limit" << int(DeadLetter::TooDeep);
    QTest::newRow("database") << "rejected by database: COPY: ERROR: value too long" << int(DeadLetter::DbRejected);
    QTest::newRow("mapping") << "mapping lab: column t (/t): is missing" << int(DeadLetter::Mapping);
    QTest::newRow("unmatched") << "unmatched: no [[mappings]] rule matches the topic" << int(DeadLetter::Unmatched);
    QTest::newRow("prefix only") << "invalid_jsonx at byte 1" << int(DeadLetter::Other);
    QTest::newRow("other") << "something new" << int(DeadLetter::Other);
}

void TstReasons::classify()
{
    QFETCH(QString, reason);
    QFETCH(int, expected);
    QCOMPARE(int(Reasons::classify(reason)), expected);
}

void TstReasons::everyPayloadVerdictHasItsLabel()
{
    // PayloadCheck's verdict names and the dead-letter labels must not drift apart.
    for (PayloadVerdict v : {PayloadVerdict::Empty, PayloadVerdict::TooLarge, PayloadVerdict::InvalidUtf8,
                             PayloadVerdict::InvalidJson, PayloadVerdict::NulCharacter, PayloadVerdict::TooDeep}) {
        PayloadCheckResult r;
        r.verdict = v;
        r.detail = "x";
        QVERIFY2(Reasons::classify(r.reason()) != DeadLetter::Other, PayloadCheck::verdictName(v));
        QCOMPARE(QLatin1String(Reasons::DeadLetterNames[std::size_t(Reasons::classify(r.reason()))]),
                 QLatin1String(PayloadCheck::verdictName(v)));
    }
}

QTEST_APPLESS_MAIN(TstReasons)
#include "tst_reasons.moc"
