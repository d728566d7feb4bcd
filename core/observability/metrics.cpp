// SPDX-License-Identifier: MIT
#include "observability/metrics.h"

#include <array>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace iot {
namespace {

using prometheus::Gauge;
using prometheus::Histogram;

const Histogram::BucketBoundaries BatchRowBuckets{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000,
                                                  50000};
const Histogram::BucketBoundaries WriteSecondsBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1, 2.5, 5, 10, 30};
const Histogram::BucketBoundaries LatencySecondsBuckets{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                                        120, 300, 900};

/// A Prometheus counter that follows one of the engine's monotonic counters.
struct Mirror
{
    prometheus::Counter *counter = nullptr;
    std::uint64_t seen = 0;

    void follow(std::uint64_t value)
    {
        if (value > seen) {
            counter->Increment(static_cast<double>(value - seen));
            seen = value;
        }
    }
};

constexpr char Prefix[] = "iot_subscriber_";

std::string name(const char *suffix)
{
    return std::string(Prefix) + suffix;
}

Mirror counter(prometheus::Registry &r, const char *suffix, const char *help, const prometheus::Labels &labels = {})
{
    auto &family = prometheus::BuildCounter().Name(name(suffix)).Help(help).Register(r);
    return Mirror{&family.Add(labels)};
}

Gauge &gauge(prometheus::Registry &r, const char *suffix, const char *help, const prometheus::Labels &labels = {})
{
    return prometheus::BuildGauge().Name(name(suffix)).Help(help).Register(r).Add(labels);
}

Histogram &histogram(prometheus::Registry &r, const char *suffix, const char *help,
                     const Histogram::BucketBoundaries &buckets)
{
    return prometheus::BuildHistogram().Name(name(suffix)).Help(help).Register(r).Add({}, buckets);
}

} // namespace

struct Metrics::Private
{
    prometheus::Registry registry;
    std::array<Mirror, CounterCount> counters;   // by CounterTable row; Plain and Target* rows only
    std::array<Mirror, Reasons::DeadLetterCount> deadLetters;
    std::array<Mirror, Reasons::DropCount> dropped;
    Mirror spansExported, spansDropped, exportFailures;
    std::array<Gauge *, SpoolStateCount> spoolState{};
    Gauge *buffer = nullptr;
    Gauge *bufferLimit = nullptr;
    Gauge *bufferBytes = nullptr;
    Gauge *bufferLimitBytes = nullptr;
    Gauge *spool = nullptr;
    Gauge *readingPaused = nullptr;
    Gauge *mqttUp = nullptr;
    Gauge *dbUp = nullptr;
    Gauge *writingBlocked = nullptr;
    Gauge *startTime = nullptr;
    prometheus::Family<Gauge> *alertFamily = nullptr;
    std::map<QString, Gauge *> alertFiring;   // by rule, added as a snapshot first names it
    Mirror alertUnreadable, alertDropped, alertUntracked;
    Histogram *batchRows = nullptr;
    Histogram *writeSeconds = nullptr;
    Histogram *latencySeconds = nullptr;
};

Metrics::Metrics(const QString &version) : d(std::make_unique<Private>())
{
    auto &r = d->registry;
    registerCounters();
    d->spansExported = counter(r, "trace_spans_exported_total", "Trace spans the OTLP collector accepted.");
    d->spansDropped = counter(r, "trace_spans_dropped_total",
                              "Trace spans dropped: export queue full or the collector failed.");
    d->exportFailures = counter(r, "trace_export_failures_total", "Failed OTLP export requests.");

    d->buffer = &gauge(r, "buffer_messages", "Messages received but not yet committed, dead-lettered or dropped.");
    d->bufferLimit = &gauge(r, "buffer_limit_messages",
                            "max_buffered_messages: at this many buffered messages reading from MQTT pauses.");
    d->bufferBytes = &gauge(r, "buffer_bytes",
                            "Bytes of messages held in memory for the writer: queued batches and the transaction it holds.");
    d->bufferLimitBytes = &gauge(r, "buffer_limit_bytes",
                                 "max_buffered_mb in bytes: at this much held in memory reading from MQTT pauses "
                                 "(or, with a spool, the backlog goes to disk).");
    d->spool = &gauge(r, "spool_bytes", "Bytes in the on-disk spool not yet released (0 with the spool off).");
    d->readingPaused = &gauge(r, "reading_paused", "1 while reading from MQTT is paused (buffer full or operator).");
    auto &spoolState = prometheus::BuildGauge()
                           .Name(name("spool_state"))
                           .Help("1 for the spool's current state: ok, disk_full, write_error (reserving space failed) "
                                 "or sync_error (fdatasync failed); not ok: new messages are held in memory only.")
                           .Register(r);
    for (std::size_t i = 0; i < SpoolStateCount; ++i)
        d->spoolState[i] = &spoolState.Add({{"state", SpoolStateNames[i]}});
    auto &up = prometheus::BuildGauge()
                   .Name(name("connection_up"))
                   .Help("1 while connected to the target (mqtt or database).")
                   .Register(r);
    d->mqttUp = &up.Add({{"target", "mqtt"}});
    d->dbUp = &up.Add({{"target", "database"}});
    d->writingBlocked = &gauge(r, "writing_blocked",
                               "1 while writing is stopped: the database refuses every row of a table "
                               "(permission, trigger), or a problem no retry fixes (a [[mappings]] conflict); "
                               "rows are held, not dropped.");
    d->startTime = &gauge(r, "start_time_seconds", "Start time of the engine, seconds since the Unix epoch.");
    gauge(r, "build_info", "Build information; the value is always 1.", {{"version", version.toStdString()}}).Set(1);

    d->batchRows = &histogram(r, "batch_rows", "Rows (readings and dead letters) per committed write transaction.",
                              BatchRowBuckets);
    d->writeSeconds = &histogram(r, "write_duration_seconds",
                                 "Duration of write transactions, including failed ones.", WriteSecondsBuckets);
    d->latencySeconds = &histogram(r, "receive_to_commit_seconds",
                                   "Per row: time from receiving the MQTT message to committing its row.",
                                   LatencySecondsBuckets);
}

Metrics::~Metrics() = default;

void Metrics::registerCounters()
{
    using Label = CounterInfo::Label;
    std::map<std::string, prometheus::Family<prometheus::Counter> *> families;  // reconnects_total holds two rows
    for (std::size_t i = 0; i < CounterCount; ++i) {
        const CounterInfo &c = CounterTable[i];
        if (!*c.metric)
            continue;
        auto *&family = families[c.metric];
        if (!family)
            family = &prometheus::BuildCounter().Name(name(c.metric)).Help(c.help).Register(d->registry);
        switch (c.label) {
        case Label::Plain: d->counters[i] = Mirror{&family->Add({})}; break;
        case Label::TargetMqtt: d->counters[i] = Mirror{&family->Add({{"target", "mqtt"}})}; break;
        case Label::TargetDatabase: d->counters[i] = Mirror{&family->Add({{"target", "database"}})}; break;
        // Reasons are a fixed set (core/pipeline/reasons.h): the label never grows with topics or payloads.
        case Label::ByDeadLetter:
            for (std::size_t k = 0; k < Reasons::DeadLetterCount; ++k)
                d->deadLetters[k] = Mirror{&family->Add({{"reason", Reasons::DeadLetterNames[k]}})};
            break;
        case Label::ByDrop:
            for (std::size_t k = 0; k < Reasons::DropCount; ++k)
                d->dropped[k] = Mirror{&family->Add({{"reason", Reasons::DropNames[k]}})};
            break;
        case Label::StartUpOnly: break;
        }
    }
}

void Metrics::update(const EngineSnapshot &s)
{
    for (std::size_t i = 0; i < CounterCount; ++i)
        if (d->counters[i].counter)
            d->counters[i].follow(s[Counter(i)]);
    for (std::size_t i = 0; i < Reasons::DeadLetterCount; ++i)
        d->deadLetters[i].follow(s.deadLetteredBy[i]);
    for (std::size_t i = 0; i < Reasons::DropCount; ++i)
        d->dropped[i].follow(s.droppedBy[i]);
    d->buffer->Set(static_cast<double>(s.inFlight));
    d->bufferLimit->Set(static_cast<double>(s.maxBuffered));
    d->bufferBytes->Set(static_cast<double>(s.bufferedBytes));
    d->bufferLimitBytes->Set(static_cast<double>(s.maxBufferedBytes));
    d->spool->Set(static_cast<double>(s.spoolBytes));
    d->readingPaused->Set(s.readingPaused ? 1 : 0);
    for (std::size_t i = 0; i < SpoolStateCount; ++i)
        d->spoolState[i]->Set(std::size_t(s.spoolState) == i ? 1 : 0);
    d->mqttUp->Set(s.mqtt.state == MessageSource::State::Connected ? 1 : 0);
    d->dbUp->Set(s.db.state == BatchWriter::State::Connected ? 1 : 0);
    d->writingBlocked->Set(s.db.state == BatchWriter::State::Blocked || s.db.state == BatchWriter::State::Failed ? 1 : 0);
    d->startTime->Set(static_cast<double>(s.startedAtUs) / 1e6);
    if (s.alerts.isEmpty())
        return;
    if (!d->alertFamily) {
        d->alertFamily = &prometheus::BuildGauge()
                              .Name(name("alert_firing"))
                              .Help("Instances of an [[alerts]] rule firing now (topics; 1 or 0 for a pipeline rule).")
                              .Register(d->registry);
        d->alertUnreadable = counter(d->registry, "alert_values_unreadable_total",
                                     "Messages on a value rule's topic whose field was missing or not a number.");
        d->alertDropped = counter(d->registry, "alert_samples_dropped_total",
                                  "Values the alert feed could not fold (its rule/topic pairs were full).");
        d->alertUntracked = counter(d->registry, "alert_topics_untracked_total",
                                    "Topics an alert rule did not track (max_topics_per_rule reached).");
    }
    for (const AlertRuleStatus &a : s.alerts) {
        Gauge *&g = d->alertFiring[a.rule];
        if (!g)
            g = &d->alertFamily->Add({{"rule", a.rule.toStdString()}, {"severity", a.severity.toStdString()}});
        g->Set(a.firing);
    }
    d->alertUnreadable.follow(s.alertValuesUnreadable);
    d->alertDropped.follow(s.alertSamplesDropped);
    d->alertUntracked.follow(s.alertTopicsUntracked);
}

void Metrics::updateTracing(std::uint64_t exportedSpans, std::uint64_t droppedSpans, std::uint64_t failedExports)
{
    d->spansExported.follow(exportedSpans);
    d->spansDropped.follow(droppedSpans);
    d->exportFailures.follow(failedExports);
}

void Metrics::observe(const TransactionReport &r)
{
    d->writeSeconds->Observe(std::max<double>(0, static_cast<double>(r.endUs - r.startUs) / 1e6));
    if (r.outcome != TransactionReport::Outcome::Committed)
        return;
    const std::size_t readings = r.rows ? r.rows->size() : 0;
    d->batchRows->Observe(static_cast<double>(readings + r.deadLetters));
    // A spilled batch carries no per-message entries (its rows were read back from the spool elsewhere).
    if (readings == 0 || !r.batch || r.batch->isSpilled())
        return;
    // Histogram::Observe takes a lock per call; per row that would be tens of thousands of locks per transaction.
    std::vector<double> increments(LatencySecondsBuckets.size() + 1, 0.0);
    double sum = 0;
    for (const std::uint32_t row : *r.rows) {
        const double seconds = std::max<double>(0, static_cast<double>(r.endUs - r.batch->receivedAtUs(row)) / 1e6);
        sum += seconds;
        // Prometheus buckets are "less than or equal": the first bound not below the value.
        const auto bucket = std::lower_bound(LatencySecondsBuckets.begin(), LatencySecondsBuckets.end(), seconds);
        increments[static_cast<std::size_t>(bucket - LatencySecondsBuckets.begin())] += 1;
    }
    d->latencySeconds->ObserveMultiple(increments, sum);
}

QByteArray Metrics::exposition() const
{
    const std::string text = prometheus::TextSerializer().Serialize(d->registry.Collect());
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace iot
