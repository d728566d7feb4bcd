// SPDX-License-Identifier: MIT
#include "observability/eventjournal.h"

#include <QTest>

using namespace iot;

/// The status API's bounded journals: ids from 1 in arrival order, "after id" paging, the oldest dropped first.
class TstEventJournal final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pagesAfterAnId();
    void boundedOldestFirstOut();
    void deadLettersKeepTheirPreview();
};

void TstEventJournal::pagesAfterAnId()
{
    EventJournal j;
    QCOMPARE(j.lastEventId(), 0u);
    QVERIFY(j.eventsAfter(0, 10).empty());
    for (int i = 0; i < 5; ++i)
        j.addEvent(1000 + i, QStringLiteral("mqtt"), QStringLiteral("connected"), QString::number(i));
    QCOMPARE(j.lastEventId(), 5u);
    const auto all = j.eventsAfter(0, 100);
    QCOMPARE(all.size(), 5u);
    QCOMPARE(all.front().id, 1u);
    QCOMPARE(all.back().detail, QStringLiteral("4"));
    const auto page = j.eventsAfter(2, 2);
    QCOMPARE(page.size(), 2u);
    QCOMPARE(page[0].id, 3u);
    QCOMPARE(page[1].id, 4u);
    QVERIFY(j.eventsAfter(5, 10).empty());
    QVERIFY(j.eventsAfter(99, 10).empty());
}

void TstEventJournal::boundedOldestFirstOut()
{
    EventJournal j(3, 2);
    for (int i = 0; i < 10; ++i)
        j.addEvent(i, QStringLiteral("database"), QStringLiteral("retrying"), QString::number(i));
    const auto kept = j.eventsAfter(0, 100);
    QCOMPARE(kept.size(), 3u);
    QCOMPARE(kept.front().id, 8u);   // 1..7 went; ids are never reused
    QCOMPARE(j.eventsAfter(8, 100).size(), 2u);
    QCOMPARE(j.eventsAfter(1, 100).front().id, 8u);   // asked for what is gone: the oldest kept onwards
}

void TstEventJournal::deadLettersKeepTheirPreview()
{
    EventJournal j(3, 2);
    j.addDeadLetter(1, "a/b", QStringLiteral("invalid JSON"), "{\"x\":");
    j.addDeadLetter(2, "a/c", QStringLiteral("invalid JSON"), "\xff\xfe");
    j.addDeadLetter(3, "a/d", QStringLiteral("mapping"), "{}");
    QCOMPARE(j.lastDeadLetterId(), 3u);
    const auto kept = j.deadLettersAfter(0, 10);
    QCOMPARE(kept.size(), 2u);
    QCOMPARE(kept[0].topic, QByteArray("a/c"));
    QCOMPARE(kept[0].payloadPreview, QByteArray("\xff\xfe"));
    QCOMPARE(kept[1].reason, QStringLiteral("mapping"));
}

QTEST_APPLESS_MAIN(TstEventJournal)
#include "tst_eventjournal.moc"
