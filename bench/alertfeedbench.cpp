// SPDX-License-Identifier: MIT
// What the alerts cost the ingest thread per message, in-process: AlertFeed::offer() over the benchmark's topics
// and payloads (sensors/lab-<room>/s-<n>, {"sensor":..,"seq":..,"ts":..,"temperature":..,"humidity":..}) with
// bench/run.sh's 100 rules (15 matching each message) and with none matching, plus the main thread's take() + evaluation once per
// simulated second; then the same with the writer's PayloadCheck run in the feed's walk (as the Batcher does with
// alerts) against that check alone. Prints ns per message; no pass/fail (docs/benchmarks.md).
//
//   iot-bench-alertfeed [messages, default 2000000] [topics, default 100]
#include "alerts/alertengine.h"
#include "alerts/alertevaluator.h"
#include "alerts/alertfeed.h"

#include <QElapsedTimer>

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace iot;

namespace {

QList<AlertRule> benchRules(bool matching)
{
    QList<AlertRule> rules;
    const QString prefix = matching ? QStringLiteral("sensors") : QStringLiteral("elsewhere");
    for (int i = 0; i < 40; ++i) {
        AlertRule r;
        r.name = QStringLiteral("value%1").arg(i);
        r.topic = prefix + QStringLiteral("/lab-%1/+").arg(i % 4 + 1);
        r.field = r.pointer = i % 2 ? QStringLiteral("/humidity") : QStringLiteral("/temperature");
        r.threshold = 1e6;
        r.forSec = 5;
        rules << r;
    }
    for (int i = 0; i < 20; ++i) {
        AlertRule r;
        r.name = QStringLiteral("other%1").arg(i);
        r.topic = QStringLiteral("other/%1/+").arg(i);
        r.field = r.pointer = QStringLiteral("/v");
        r.condition = AlertRule::Condition::Below;
        rules << r;
    }
    for (int i = 0; i < 20; ++i) {
        AlertRule r;
        r.name = QStringLiteral("quiet%1").arg(i);
        r.kind = AlertRule::Kind::Stale;
        r.topic = prefix + QStringLiteral("/lab-%1/#").arg(i % 4 + 1);
        r.staleAfterSec = 3600;
        rules << r;
    }
    const AlertRule::Kind kinds[] = {AlertRule::Kind::DbNotWriting, AlertRule::Kind::Backlog,
                                     AlertRule::Kind::DeadLettersPerMin, AlertRule::Kind::SpoolPercent};
    for (int i = 0; i < 20; ++i) {
        AlertRule r;
        r.name = QStringLiteral("pipe%1").arg(i);
        r.kind = kinds[i % 4];
        r.limit = 1e9;
        rules << r;
    }
    return rules;
}

double run(const QList<AlertRule> &rules, long messages, int topics, const std::vector<QByteArray> &topicNames,
           const std::vector<QByteArray> &payloads, const PayloadCheck *check = nullptr)
{
    AlertFeed feed(rules);
    AlertEvaluator evaluator(rules, 10000);
    constexpr long PerSecond = 100000;   // take() + evaluate as often as at 100,000 messages/s
    QElapsedTimer timer;
    timer.start();
    qint64 us = 1'000'000'000'000;
    for (long i = 0; i < messages; ++i) {
        const auto t = std::size_t(i % topics);
        if (!feed.offer(topicNames[t], payloads[std::size_t(i % long(payloads.size()))], us + i * 10, check)
            && check) {
            std::fprintf(stderr, "a benchmark payload failed the check\n");
            std::exit(1);
        }
        if (i % PerSecond == PerSecond - 1) {
            AlertEngine::apply(evaluator, feed.take());
            evaluator.evaluate(us + i * 10, {});
            evaluator.takeEvents();
        }
    }
    return double(timer.nsecsElapsed()) / double(messages);
}

} // namespace

int main(int argc, char **argv)
{
    const long messages = argc > 1 ? std::atol(argv[1]) : 2'000'000;
    const int topics = argc > 2 ? std::atoi(argv[2]) : 100;
    std::vector<QByteArray> topicNames;
    for (int s = 0; s < topics; ++s)
        topicNames.push_back(QByteArray("sensors/lab-") + QByteArray::number(s % 4 + 1) + "/s-"
                             + QByteArray::number(s + 1).rightJustified(4, '0'));
    std::vector<QByteArray> payloads;
    for (int k = 0; k < 64; ++k)
        payloads.push_back(QByteArray(R"({"sensor":"s-0001","seq":)") + QByteArray::number(1000 + k)
                           + R"(,"ts":1765100000000,"temperature":)" + QByteArray::number(20 + k % 7, 'f', 2)
                           + R"(,"humidity":)" + QByteArray::number(40 + k % 11, 'f', 2) + "}");
    const double none = run({}, messages, topics, topicNames, payloads);
    const double unmatched = run(benchRules(false), messages, topics, topicNames, payloads);
    const double matched = run(benchRules(true), messages, topics, topicNames, payloads);
    // With the writer's PayloadCheck run in the same walk (Batcher with alerts): the check alone is what the
    // writer no longer does, so the alerts' own cost is the difference of these two.
    const PayloadCheck check;
    const double checkOnly = run({}, messages, topics, topicNames, payloads, &check);
    const double matchedChecked = run(benchRules(true), messages, topics, topicNames, payloads, &check);
    std::printf("alert feed, %ld messages over %d topics (ns per message, ingest thread + evaluation):\n", messages,
                topics);
    std::printf("  no rules:                                   %7.1f\n", none);
    std::printf("  100 rules, none matching these topics:      %7.1f\n", unmatched);
    std::printf("  100 rules, 10 value + 5 staleness matching: %7.1f\n", matched);
    std::printf("  payload check alone (no rules):             %7.1f\n", checkOnly);
    std::printf("  100 rules matching, fields read in check:   %7.1f\n", matchedChecked);
    return 0;
}
