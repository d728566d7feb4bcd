// SPDX-License-Identifier: MIT
// The alert state machine through its injected time: for_sec, hysteresis (fires once, resolves once), staleness,
// pipeline rules, the per-rule topic cap; and the feed's topic cache and number parsing.
#include "alerts/alertengine.h"
#include "alerts/alertevaluator.h"
#include "alerts/alertfeed.h"
#include "alerts/alerthistory.h"

#include <QFile>
#include <QTemporaryDir>

#include <sys/stat.h>

#include <QTest>

#include <algorithm>
#include <charconv>
#include <cstring>

using namespace iot;

class TstAlertEvaluator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void forSecAndHysteresis();
    void pendingCancelled();
    void conditions_data();
    void conditions();
    void staleness();
    void pipeline();
    void topicCap();
    void feedMatchesAndParses();
    void feedBounded();
    void numbers_data();
    void numbers();
    void simpleDecimalsExact();
    void historyFile();
    void feedSharedFieldsAndFallbacks();
    void feedChecksPayloads();
};

namespace {

constexpr qint64 S = 1'000'000;

AlertRule above(double threshold, double forSec, double hysteresis)
{
    AlertRule r;
    r.name = QStringLiteral("warm");
    r.topic = QStringLiteral("lab/+/t");
    r.pointer = QStringLiteral("/temp");
    r.condition = AlertRule::Condition::Above;
    r.threshold = threshold;
    r.forSec = forSec;
    r.hysteresis = hysteresis;
    return r;
}

int count(const std::vector<AlertEvent> &events, AlertEvent::Kind kind)
{
    return int(std::count_if(events.begin(), events.end(), [kind](const AlertEvent &e) { return e.kind == kind; }));
}

} // namespace

void TstAlertEvaluator::forSecAndHysteresis()
{
    AlertEvaluator ev({above(30, 10, 2)}, 100);
    const QString topic = QStringLiteral("lab/a/t");
    std::vector<AlertEvent> all;
    auto run = [&](qint64 t, double v) {
        ev.addValue(0, topic, v, t * S);
        ev.evaluate(t * S, {});
        for (const AlertEvent &e : ev.takeEvents())
            all.push_back(e);
    };
    run(0, 31);        // pending
    run(5, 32);
    QCOMPARE(all.size(), std::size_t(0));
    QCOMPARE(ev.firingCount(0), 0);
    run(10, 31);       // 10 s over the threshold: fires
    QCOMPARE(all.size(), std::size_t(1));
    QCOMPARE(all[0].kind, AlertEvent::Kind::Fired);
    QCOMPARE(all[0].topic, topic);
    QCOMPARE(all[0].startsAtUs, 10 * S);
    QCOMPARE(ev.firingCount(0), 1);
    // Wobbling around the threshold inside the hysteresis band neither resolves nor fires again.
    for (int t = 11; t < 40; ++t)
        run(t, t % 2 ? 29.0 : 30.5);
    QCOMPARE(all.size(), std::size_t(1));
    run(40, 28.0);     // back past 30 - 2: resolved once
    run(41, 27.0);
    QCOMPARE(count(all, AlertEvent::Kind::Fired), 1);
    QCOMPARE(count(all, AlertEvent::Kind::Resolved), 1);
    QCOMPARE(all[1].atUs, 40 * S);
    QCOMPARE(all[1].startsAtUs, 10 * S);
    QCOMPARE(ev.firingCount(0), 0);
}

void TstAlertEvaluator::pendingCancelled()
{
    AlertEvaluator ev({above(30, 10, 0)}, 100);
    const QString topic = QStringLiteral("lab/a/t");
    ev.addValue(0, topic, 35, 0);
    ev.addValue(0, topic, 20, 9 * S);     // drops before for_sec: nothing fires
    ev.addValue(0, topic, 35, 10 * S);
    ev.evaluate(15 * S, {});
    QVERIFY(ev.takeEvents().empty());
    ev.evaluate(20 * S, {});              // 10 s since the second rise, with no new message: the timer fires it
    const auto events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].startsAtUs, 20 * S);
}

void TstAlertEvaluator::conditions_data()
{
    QTest::addColumn<int>("condition");
    QTest::addColumn<double>("fire");
    QTest::addColumn<double>("stay");     // past the threshold but inside the hysteresis: still firing
    QTest::addColumn<double>("clear");
    using C = AlertRule::Condition;
    QTest::newRow("above") << int(C::Above) << 11.0 << 9.5 << 9.0;
    QTest::newRow("below") << int(C::Below) << 9.0 << 10.5 << 11.0;
    QTest::newRow("outside high") << int(C::Outside) << 21.0 << 19.5 << 18.0;
    QTest::newRow("outside low") << int(C::Outside) << 9.0 << 10.5 << 12.0;
    QTest::newRow("equals") << int(C::Equals) << 10.0 << 10.5 << 12.0;
}

void TstAlertEvaluator::conditions()
{
    QFETCH(int, condition);
    QFETCH(double, fire);
    QFETCH(double, stay);
    QFETCH(double, clear);
    AlertRule r = above(10, 0, 1);
    r.condition = AlertRule::Condition(condition);
    r.low = 10;
    r.high = 20;
    AlertEvaluator ev({r}, 100);
    const QString topic = QStringLiteral("x");
    ev.addValue(0, topic, fire, 1 * S);
    QCOMPARE(ev.firingCount(0), 1);
    ev.addValue(0, topic, stay, 2 * S);
    QCOMPARE(ev.firingCount(0), 1);
    ev.addValue(0, topic, clear, 3 * S);
    QCOMPARE(ev.firingCount(0), 0);
    const auto events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(2));
    QCOMPARE(events[1].value, clear);
}

void TstAlertEvaluator::staleness()
{
    AlertRule r;
    r.name = QStringLiteral("quiet");
    r.kind = AlertRule::Kind::Stale;
    r.topic = QStringLiteral("s/#");
    r.staleAfterSec = 5;
    AlertEvaluator ev({r}, 100);
    ev.addSeen(0, QStringLiteral("s/1"), 0);
    ev.addSeen(0, QStringLiteral("s/2"), 0);
    ev.addSeen(0, QStringLiteral("s/2"), 4 * S);
    ev.evaluate(5 * S, {});
    QVERIFY(ev.takeEvents().empty());
    ev.evaluate(6 * S, {});          // s/1 quiet 6 s
    auto events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].topic, QStringLiteral("s/1"));
    ev.evaluate(7 * S, {});          // still stale: no second fire
    QVERIFY(ev.takeEvents().empty());
    ev.evaluate(10 * S, {});         // s/2 now quiet 6 s
    QCOMPARE(ev.takeEvents().size(), std::size_t(1));
    QCOMPARE(ev.firingCount(0), 2);
    ev.addSeen(0, QStringLiteral("s/1"), 11 * S);   // the sensor is back
    events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].kind, AlertEvent::Kind::Resolved);
    QCOMPARE(events[0].topic, QStringLiteral("s/1"));
    QCOMPARE(ev.firingCount(0), 1);
}

void TstAlertEvaluator::pipeline()
{
    AlertRule db;
    db.name = QStringLiteral("db");
    db.kind = AlertRule::Kind::DbNotWriting;
    db.limit = 30;
    AlertRule dl;
    dl.name = QStringLiteral("dl");
    dl.kind = AlertRule::Kind::DeadLettersPerMin;
    dl.limit = 10;
    AlertRule spool = dl;
    spool.name = QStringLiteral("spool");
    spool.kind = AlertRule::Kind::SpoolPercent;
    spool.limit = 80;
    spool.forSec = 5;
    AlertEvaluator ev({db, dl, spool}, 100);
    ev.evaluate(0, {0, 0, 100, 50});
    ev.evaluate(10 * S, {29, 0, 105, 81});
    QVERIFY(ev.takeEvents().empty());
    ev.evaluate(20 * S, {30, 0, 111, 90});      // db 30 s; 11 dead letters within the minute; spool 10 s over
    auto events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(3));
    ev.evaluate(30 * S, {0, 0, 111, 70});
    events = ev.takeEvents();
    QCOMPARE(count(events, AlertEvent::Kind::Resolved), 2);      // db and spool; dl still 11 in the last minute
    QCOMPARE(ev.firingCount(1), 1);
    ev.evaluate(81 * S, {0, 0, 111, 70});       // a minute later no new dead letters
    events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(1));
    QCOMPARE(events[0].ruleName, QStringLiteral("dl"));
    QCOMPARE(events[0].kind, AlertEvent::Kind::Resolved);
}

void TstAlertEvaluator::topicCap()
{
    AlertEvaluator ev({above(0, 0, 0)}, 3);
    for (int i = 0; i < 5; ++i)
        ev.addValue(0, QStringLiteral("lab/%1/t").arg(i), 1, S);
    QCOMPARE(ev.firingCount(0), 3);
    QCOMPARE(ev.untrackedTopics(), quint64(2));
    ev.addValue(0, QStringLiteral("lab/9/t"), -1, S);   // fine: nothing to track, so nothing untracked
    QCOMPARE(ev.untrackedTopics(), quint64(2));
    // Topics that are fine hold no state, so they do not count against the cap.
    AlertEvaluator fine({above(0, 0, 0)}, 3);
    for (int i = 0; i < 5; ++i)
        fine.addValue(0, QStringLiteral("lab/%1/t").arg(i), -1, S);
    QCOMPARE(fine.untrackedTopics(), quint64(0));
}

void TstAlertEvaluator::feedMatchesAndParses()
{
    AlertRule stale;
    stale.kind = AlertRule::Kind::Stale;
    stale.topic = QStringLiteral("lab/#");
    AlertRule whole = above(0, 0, 0);
    whole.topic = QStringLiteral("plain/+");
    whole.pointer.clear();
    AlertRule pipe;
    pipe.kind = AlertRule::Kind::Backlog;
    AlertFeed feed({above(30, 0, 0), stale, whole, pipe});
    feed.offer("lab/a/t", R"({"temp": 31.5, "rh": 40})", 7);
    feed.offer("lab/a/t", R"({"rh": 40})", 8);          // no /temp: unreadable, counted; staleness still sees it
    feed.offer("other/x", R"({"temp": 99})", 9);        // no rule
    feed.offer("plain/p", "21.25", 10);
    feed.offer("lab/a/t", R"({"temp": 12})", 11);
    feed.offer("lab/a/t", R"({"temp": 20})", 12);
    auto samples = feed.take();
    QCOMPARE(samples.size(), std::size_t(3));
    // In order of their first message; values folded per rule and topic.
    const auto &temp = samples[0].rule == 0 ? samples[0] : samples[1];
    const auto &seen = samples[0].rule == 0 ? samples[1] : samples[0];
    QCOMPARE(temp.rule, 0);
    QCOMPARE(temp.topic, QStringLiteral("lab/a/t"));
    QCOMPARE(temp.min, 12.0);
    QCOMPARE(temp.max, 31.5);
    QCOMPARE(temp.last, 20.0);
    QCOMPARE(temp.firstUs, qint64(7));
    QCOMPARE(temp.lastUs, qint64(12));
    QCOMPARE(temp.count, quint64(3));
    QCOMPARE(seen.rule, 1);
    QVERIFY(seen.seen);
    QCOMPARE(seen.lastUs, qint64(12));
    QCOMPARE(seen.count, quint64(4));
    QCOMPARE(samples[2].rule, 2);
    QCOMPARE(samples[2].last, 21.25);
    QCOMPARE(feed.unreadableValues(), quint64(1));
    QVERIFY(feed.take().empty());

    // A spike between two evaluations still fires; the last value resolves it.
    AlertEvaluator ev({above(30, 0, 0)}, 100);
    feed.offer("lab/b/t", R"({"temp": 10})", 20);
    feed.offer("lab/b/t", R"({"temp": 35})", 21);
    feed.offer("lab/b/t", R"({"temp": 10})", 22);
    samples = feed.take();
    std::vector<AlertFeed::Sample> valueSamples;
    for (const auto &sample : samples)
        if (sample.rule == 0)
            valueSamples.push_back(sample);
    AlertEngine::apply(ev, valueSamples);
    const auto events = ev.takeEvents();
    QCOMPARE(events.size(), std::size_t(2));
    QCOMPARE(events[0].value, 35.0);
    QCOMPARE(events[1].kind, AlertEvent::Kind::Resolved);
}

void TstAlertEvaluator::feedBounded()
{
    // 5 topics of one rule, a cache of 2 topics: the other 3 are matched each time and their values counted.
    AlertFeed feed({above(0, 0, 0)}, 100, 2);
    for (int i = 0; i < 15; ++i)
        feed.offer(QByteArray("lab/" + QByteArray::number(i % 5) + "/t"), R"({"temp": 1})", i);
    feed.offer("elsewhere", "{}", 20);   // matches nothing: nothing counted
    auto samples = feed.take();
    QCOMPARE(samples.size(), std::size_t(2));
    QCOMPARE(samples[0].count + samples[1].count, quint64(6));
    QCOMPARE(feed.droppedSamples(), quint64(9));
    QVERIFY(feed.take().empty());

    // Slots in all: the second topic finds none left.
    AlertFeed slots({above(0, 0, 0)}, 1, 100);
    slots.offer("lab/a/t", R"({"temp": 1})", 1);
    slots.offer("lab/b/t", R"({"temp": 1})", 2);
    samples = slots.take();
    QCOMPARE(samples.size(), std::size_t(1));
    QCOMPARE(samples[0].topic, QStringLiteral("lab/a/t"));
    QCOMPARE(slots.droppedSamples(), quint64(1));
}

void TstAlertEvaluator::numbers_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<double>("value");
    QTest::newRow("int") << QByteArray("42") << true << 42.0;
    QTest::newRow("float") << QByteArray(" -1.5e2 ") << true << -150.0;
    QTest::newRow("true") << QByteArray("true") << true << 1.0;
    QTest::newRow("false") << QByteArray("false") << true << 0.0;
    QTest::newRow("quoted") << QByteArray("\"7.5\"") << true << 7.5;
    QTest::newRow("word") << QByteArray("\"warm\"") << false << 0.0;
    QTest::newRow("object") << QByteArray("{}") << false << 0.0;
    QTest::newRow("null") << QByteArray("null") << false << 0.0;
    QTest::newRow("trailing") << QByteArray("12abc") << false << 0.0;
    QTest::newRow("negative zero") << QByteArray("-0") << true << -0.0;
    QTest::newRow("plain decimal") << QByteArray("-21.53") << true << -21.53;
    QTest::newRow("no fraction digits") << QByteArray("1.") << true << 1.0;   // std::from_chars' reading
    QTest::newRow("16 digits") << QByteArray("1234567890.123456") << true << 1234567890.123456;
    QTest::newRow("exponent") << QByteArray("2.5E-3") << true << 0.0025;
    QTest::newRow("lone minus") << QByteArray("-") << false << 0.0;
}

void TstAlertEvaluator::numbers()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    QFETCH(double, value);
    double out = 0;
    QCOMPARE(AlertFeed::parseNumber(text, out), ok);
    if (ok)
        QCOMPARE(out, value);
}

void TstAlertEvaluator::simpleDecimalsExact()
{
    // The cheap path gives the very double std::from_chars gives, for all it accepts.
    quint64 x = 88172645463325252ULL;   // xorshift: the same numbers every run
    int accepted = 0;
    for (int i = 0; i < 200000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const int digits = int(x % 17) + 1;
        QByteArray text = QByteArray::number(x >> 8).right(digits);
        const int point = int((x >> 4) % quint64(digits + 1));
        if (point > 0 && point < text.size())
            text.insert(point, '.');
        if (x & 1)
            text.prepend('-');
        double fast = 0;
        if (!AlertFeed::parseSimpleDecimal(text, fast))
            continue;
        ++accepted;
        double exact = 0;
        const auto [ptr, ec] = std::from_chars(text.constData(), text.constData() + text.size(), exact);
        QVERIFY(ec == std::errc() && ptr == text.constData() + text.size());
        QVERIFY2(std::memcmp(&fast, &exact, sizeof fast) == 0, text.constData());
    }
    QVERIFY(accepted > 100000);
}

void TstAlertEvaluator::feedSharedFieldsAndFallbacks()
{
    // Three rules on /temp share one fold; a rule on a deeper pointer and one on an array index take resolve().
    AlertRule deep = above(0, 0, 0);
    deep.pointer = QStringLiteral("/m/v");
    AlertRule index = above(0, 0, 0);
    index.pointer = QStringLiteral("/1");
    AlertFeed feed({above(0, 0, 0), above(1, 0, 0), above(2, 0, 0), deep, index});
    feed.offer("lab/a/t", R"({"temp": 3, "m": {"v": 9}})", 1);
    feed.offer("lab/a/t", R"({"temp": "5", "m": {"v": 7}})", 2);
    feed.offer("lab/a/t", R"({"rh": 1})", 3);        // no /temp (3 rules) nor /m/v (1 rule): 4 unreadable
    feed.offer("lab/a/t", R"([10, 20])", 4);         // an array: /1 reads 20; /temp and /m/v: 4 more unreadable
    auto samples = feed.take();
    std::sort(samples.begin(), samples.end(), [](const auto &a, const auto &b) { return a.rule < b.rule; });
    QCOMPARE(samples.size(), std::size_t(5));
    for (int r = 0; r < 3; ++r) {
        QCOMPARE(samples[std::size_t(r)].rule, r);
        QCOMPARE(samples[std::size_t(r)].count, quint64(2));
        QCOMPARE(samples[std::size_t(r)].min, 3.0);
        QCOMPARE(samples[std::size_t(r)].max, 5.0);
        QCOMPARE(samples[std::size_t(r)].last, 5.0);
    }
    QCOMPARE(samples[3].min, 7.0);
    QCOMPARE(samples[3].max, 9.0);
    QCOMPARE(samples[3].lastUs, qint64(2));
    QCOMPARE(samples[4].count, quint64(1));
    QCOMPARE(samples[4].last, 20.0);
    QCOMPARE(feed.unreadableValues(), quint64(2 * 4 + 3));   // the /1 rule found nothing in the 3 objects
}

void TstAlertEvaluator::feedChecksPayloads()
{
    // With the writer's PayloadCheck the feed reads the fields in the walk that validates the payload: the same
    // values as without it, true for what passed (the writer skips those), false for the rest.
    AlertRule deep = above(0, 0, 0);
    deep.pointer = QStringLiteral("/m/v");
    AlertRule index = above(0, 0, 0);
    index.pointer = QStringLiteral("/1");
    AlertRule stale;
    stale.kind = AlertRule::Kind::Stale;
    stale.topic = QStringLiteral("lab/#");
    const QList<AlertRule> rules{above(0, 0, 0), above(1, 0, 0), above(2, 0, 0), deep, index, stale};
    const PayloadCheck check;
    AlertFeed feed(rules);
    QVERIFY(feed.offer("lab/a/t", R"({"temp": 3, "m": {"v": 9}})", 1, &check));
    QVERIFY(feed.offer("lab/a/t", R"({"temp": "5", "m": {"v": 7}})", 2, &check));
    QVERIFY(feed.offer("lab/a/t", R"({"rh": 1})", 3, &check));
    QVERIFY(feed.offer("lab/a/t", R"([10, 20])", 4, &check));
    QVERIFY(feed.offer("other/x", R"({"temp": 99})", 5, &check));                  // no rule: checked all the same
    QVERIFY(!feed.offer("other/x", R"({"temp": 99)", 6, &check));                   // ... and refused
    QVERIFY(!feed.offer("lab/a/t", R"({"temp": 1000, "m": {"v": 1000})", 7, &check));   // truncated
    QVERIFY(!feed.offer("lab/a/t", "{\"temp\": 1000, \"s\": \"\xff\"}", 8, &check));  // not UTF-8
    QVERIFY(!feed.offer("lab/a/t", R"({"temp": 1000, "n": 1e999999999999})", 9, &check));  // beyond numeric
    QVERIFY(!feed.offer("lab/a/t", R"({"temp": 1000})", 10));                       // no check: false
    // Valid, but a key with an escape may spell "temp": every one-level field is unsure (unreadable), as in
    // resolveMembers(); /1 of an object is missing all the same.
    QVERIFY(feed.offer("lab/a/t", R"({"\u0074emp": 1, "temp": 2})", 11, &check));
    auto samples = feed.take();
    std::sort(samples.begin(), samples.end(), [](const auto &a, const auto &b) { return a.rule < b.rule; });
    QCOMPARE(samples.size(), std::size_t(6));
    for (int r = 0; r < 3; ++r) {
        QCOMPARE(samples[std::size_t(r)].count, quint64(3));
        QCOMPARE(samples[std::size_t(r)].min, 3.0);
        QCOMPARE(samples[std::size_t(r)].max, 1000.0);   // the last offer, without a check, read as before
    }
    QCOMPARE(samples[3].min, 7.0);
    QCOMPARE(samples[3].max, 9.0);
    QCOMPARE(samples[4].count, quint64(1));
    QCOMPARE(samples[4].last, 20.0);
    // Staleness sees every message of its topics, valid or not.
    QVERIFY(samples[5].seen);
    QCOMPARE(samples[5].count, quint64(9));
    // As without the check (2 × 4 + 3, plus /m/v and /1 missing in the unchecked one), the three refused payloads'
    // 5 value rules each (a dead letter's values are not the sensor's), and the escaped key's 5.
    QCOMPARE(feed.unreadableValues(), quint64(2 * 4 + 3 + 2 + 3 * 5 + 5));
}

void TstAlertEvaluator::historyFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Config config;
    config.spool.dir = dir.path();
    const QString path = AlertHistory::pathFor(config);
    QCOMPARE(path, dir.filePath(QStringLiteral("alert-history.jsonl")));
    config.spool.enabled = false;
    QVERIFY(AlertHistory::pathFor(config).isEmpty());

    for (int i = 0; i < 5; ++i) {
        AlertEvent e;
        e.kind = i % 2 ? AlertEvent::Kind::Resolved : AlertEvent::Kind::Fired;
        e.ruleName = QStringLiteral("rule%1").arg(i);
        e.topic = QStringLiteral("lab/\"quoted\"/t");
        e.severity = QStringLiteral("critical");
        e.value = 30.5 + i;
        e.startsAtUs = 1'765'100'000'000'001;   // beyond a double's exact integers
        e.atUs = e.startsAtUs + i;
        QVERIFY(AlertHistory::append(path, e));
    }
    struct stat st{};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"event\":\"fired\",\"rule\":\"torn");   // a crash in the middle of a line
    }
    auto last = AlertHistory::load(path, 2);
    QCOMPARE(last.size(), 2);
    QCOMPARE(last[0].ruleName, QStringLiteral("rule3"));
    QCOMPARE(last[0].kind, AlertEvent::Kind::Resolved);
    QCOMPARE(last[1].ruleName, QStringLiteral("rule4"));
    QCOMPARE(last[1].topic, QStringLiteral("lab/\"quoted\"/t"));
    QCOMPARE(last[1].value, 34.5);
    QCOMPARE(last[1].startsAtUs, qint64(1'765'100'000'000'001));
    QCOMPARE(last[1].atUs, qint64(1'765'100'000'000'005));
    QCOMPARE(AlertHistory::load(path, 100).size(), 5);

    // Cut back to the last 2 once it holds more than twice that (the torn line counts as a line).
    AlertHistory::trim(path, 2);
    last = AlertHistory::load(path, 100);
    QCOMPARE(last.size(), 1);   // rule4, then the torn line
    QCOMPARE(last[0].ruleName, QStringLiteral("rule4"));
    AlertHistory::trim(path, 2);   // 2 lines: nothing to do
    QCOMPARE(AlertHistory::load(path, 100).size(), 1);

    QString error;
    QVERIFY(!AlertHistory::append(dir.filePath(QStringLiteral("missing/alert-history.jsonl")), AlertEvent{}, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(AlertHistory::load(dir.filePath(QStringLiteral("none.jsonl")), 10).isEmpty());
}

QTEST_APPLESS_MAIN(TstAlertEvaluator)
#include "tst_alertevaluator.moc"
