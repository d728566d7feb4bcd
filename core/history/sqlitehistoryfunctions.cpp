// SPDX-License-Identifier: MIT
#include "history/sqlitehistoryfunctions.h"

#include "mapping/jsonpointer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace iot::SqliteHistoryFunctions {
namespace {

// ---- iot_number ---------------------------------------------------------------------------------------------------

// The pointer, parsed once per statement: SQLite keeps it as the argument's auxiliary data while the argument is
// constant (a bound parameter).
struct Pointer
{
    JsonPointer fast;
    QStringList tokens;  // unescaped, for the exact path
};

void deletePointer(void *p)
{
    delete static_cast<Pointer *>(p);
}

// The exact path for what JsonPointer cannot decide on raw bytes (escaped keys, a key twice): a document.
bool slowNumber(QByteArrayView json, const QStringList &tokens, double &out)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(json.data(), json.size()));
    if (doc.isNull())
        return false;
    QJsonValue v = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    for (const QString &t : tokens) {
        if (v.isObject()) {
            v = v.toObject().value(t);
        } else if (v.isArray()) {
            bool ok = false;
            const int i = t.toInt(&ok);
            if (!ok || i < 0 || (t.size() > 1 && t.startsWith(QLatin1Char('0'))) || i >= v.toArray().size())
                return false;
            v = v.toArray().at(i);
        } else {
            return false;
        }
    }
    if (!v.isDouble())
        return false;
    out = v.toDouble();
    return true;
}

// A JSON number's text as SQLite's json_extract gives it: INTEGER when it has no fraction or exponent and fits,
// else REAL.
void resultNumber(sqlite3_context *ctx, QByteArrayView text)
{
    const char *b = text.data(), *e = b + text.size();
    if (b == e || !(*b == '-' || (*b >= '0' && *b <= '9'))) {
        sqlite3_result_null(ctx);
        return;
    }
    if (std::none_of(b, e, [](char c) { return c == '.' || c == 'e' || c == 'E'; })) {
        std::int64_t i = 0;
        const auto r = std::from_chars(b, e, i);
        if (r.ec == std::errc() && r.ptr == e) {
            sqlite3_result_int64(ctx, i);
            return;
        }
    }
    double d = 0;
    const auto r = std::from_chars(b, e, d);
    if (r.ec == std::errc() && r.ptr == e) {
        sqlite3_result_double(ctx, d);
    } else if (r.ec == std::errc::result_out_of_range) {
        sqlite3_result_double(ctx, std::strtod(std::string(b, e).c_str(), nullptr));  // ±inf, or 0 for a tiny one
    } else {
        sqlite3_result_null(ctx);
    }
}

std::unique_ptr<Pointer> makePointer(const QString &text)
{
    auto p = std::make_unique<Pointer>(Pointer{JsonPointer(text), text.split(QLatin1Char('/'))});
    p->tokens.removeFirst();  // the empty text before the leading '/'
    for (QString &t : p->tokens)
        t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
    return p;
}

void numberAt(sqlite3_context *ctx, QByteArrayView payload, const Pointer &pointer)
{
    QByteArrayView value;
    switch (pointer.fast.resolve(payload, value)) {
    case JsonPointer::Result::Found: resultNumber(ctx, value); return;
    case JsonPointer::Result::Missing: sqlite3_result_null(ctx); return;
    case JsonPointer::Result::Unsure: break;
    }
    double d = 0;
    if (slowNumber(payload, pointer.tokens, d))
        sqlite3_result_double(ctx, d);
    else
        sqlite3_result_null(ctx);
}

void iotNumber(sqlite3_context *ctx, int, sqlite3_value **argv)
{
    const int type = sqlite3_value_type(argv[0]);
    if ((type != SQLITE_TEXT && type != SQLITE_BLOB) || sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
        sqlite3_result_null(ctx);
        return;
    }
    std::unique_ptr<Pointer> made;
    const auto *pointer = static_cast<const Pointer *>(sqlite3_get_auxdata(ctx, 1));
    if (!pointer) {
        const QString text = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_value_text(argv[1])),
                                                sqlite3_value_bytes(argv[1]));
        if (!text.isEmpty() && !text.startsWith(QLatin1Char('/'))) {
            sqlite3_result_error(ctx, "iot_number: a JSON pointer starts with '/' (RFC 6901)", -1);
            return;
        }
        made = makePointer(text);
        pointer = made.get();
    }
    const char *json = type == SQLITE_TEXT ? reinterpret_cast<const char *>(sqlite3_value_text(argv[0]))
                                           : static_cast<const char *>(sqlite3_value_blob(argv[0]));
    numberAt(ctx, QByteArrayView(json, json ? sqlite3_value_bytes(argv[0]) : 0), *pointer);
    // Handed over last: SQLite may delete it at once when the argument is not a constant.
    if (made)
        sqlite3_set_auxdata(ctx, 1, made.release(), deletePointer);
}

// ---- iot_buckets --------------------------------------------------------------------------------------------------

struct Acc
{
    std::int64_t index;
    double min;
    double max;
    double sum;
    std::int64_t count;
};

struct Series
{
    std::string topic;
    std::vector<Acc> buckets;  // in index order; rows come in time order through the time index, so mostly appended
};

struct State
{
    std::int64_t fromUs = 0;
    std::int64_t toUs = 0;
    std::int64_t widthUs = 1;
    std::vector<Series> series;
    std::unordered_map<std::string, std::size_t> byTopic;
    std::size_t last = 0;  // the previous row's series (one topic is the common case)
    bool ready = false;    // the range and width read (the same in every row: bound parameters)
};

// The aggregate's state lives on the heap; SQLite's context holds the pointer and finalizes every context, also
// of an interrupted statement, so xFinal always frees it.
State *state(sqlite3_context *ctx, bool create)
{
    auto **slot = static_cast<State **>(sqlite3_aggregate_context(ctx, create ? sizeof(State *) : 0));
    if (!slot)
        return nullptr;
    if (!*slot && create)
        *slot = new State;
    return *slot;
}

void fold(std::vector<Acc> &buckets, std::int64_t k, double v)
{
    auto at = buckets.end();
    if (buckets.empty() || buckets.back().index < k) {
        buckets.push_back(Acc{k, v, v, v, 1});
        return;
    }
    if (buckets.back().index != k) {
        at = std::lower_bound(buckets.begin(), buckets.end(), k, [](const Acc &a, std::int64_t i) { return a.index < i; });
        if (at->index != k) {
            buckets.insert(at, Acc{k, v, v, v, 1});
            return;
        }
    } else {
        at = buckets.end() - 1;
    }
    at->min = std::min(at->min, v);
    at->max = std::max(at->max, v);
    at->sum += v;
    ++at->count;
}

void bucketsStep(sqlite3_context *ctx, int, sqlite3_value **argv)
{
    const int vtype = sqlite3_value_type(argv[2]);
    if (vtype != SQLITE_INTEGER && vtype != SQLITE_FLOAT)
        return;  // not a number: skipped, as avg() and min() skip NULL
    State *s = state(ctx, true);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!s->ready) {
        s->ready = true;
        s->fromUs = sqlite3_value_int64(argv[3]);
        s->toUs = sqlite3_value_int64(argv[4]);
        s->widthUs = std::max<std::int64_t>(1, sqlite3_value_int64(argv[5]));
    }
    std::int64_t t = 0;
    const int ttype = sqlite3_value_type(argv[1]);
    if (ttype == SQLITE_INTEGER) {
        t = sqlite3_value_int64(argv[1]);
    } else {
        const auto *text = reinterpret_cast<const char *>(sqlite3_value_text(argv[1]));
        if (ttype != SQLITE_TEXT || !parseTimeUs(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[1])), t)) {
            const QByteArray why = "iot_buckets: the time '" + QByteArray(text ? text : "NULL")
                                   + "' is not ISO-8601 UTC text or µs since the epoch";
            sqlite3_result_error(ctx, why.constData(), static_cast<int>(why.size()));
            return;
        }
    }
    if (t < s->fromUs || t >= s->toUs)
        return;  // the WHERE clause has the same range on the text; this keeps a bucket index from going negative
    const auto *topic = reinterpret_cast<const char *>(sqlite3_value_text(argv[0]));
    const auto topicSize = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
    if (!topic)
        topic = "";
    if (s->series.empty() || s->series[s->last].topic.size() != topicSize
        || std::memcmp(s->series[s->last].topic.data(), topic, topicSize) != 0) {
        std::string key(topic, topicSize);
        const auto [it, inserted] = s->byTopic.try_emplace(key, s->series.size());
        if (inserted)
            s->series.push_back(Series{std::move(key), {}});
        s->last = it->second;
    }
    fold(s->series[s->last].buckets, (t - s->fromUs) / s->widthUs, sqlite3_value_double(argv[2]));
}

template<typename T>
void put(QByteArray &out, const T &v)
{
    out.append(reinterpret_cast<const char *>(&v), sizeof v);
}

// The BLOB, in this process's own byte order (it never leaves it): per series a u32 topic length, the topic, a u32
// bucket count, then per bucket i64 index, f64 min, f64 max, f64 sum, i64 count.
void bucketsFinal(sqlite3_context *ctx)
{
    State *s = state(ctx, false);
    if (!s) {
        sqlite3_result_zeroblob(ctx, 0);
        return;
    }
    QByteArray out;
    std::size_t size = 0;
    for (const Series &series : s->series)
        size += 8 + series.topic.size() + series.buckets.size() * sizeof(Acc);
    out.reserve(static_cast<qsizetype>(size));
    for (const Series &series : s->series) {
        put(out, static_cast<std::uint32_t>(series.topic.size()));
        out.append(series.topic.data(), static_cast<qsizetype>(series.topic.size()));
        put(out, static_cast<std::uint32_t>(series.buckets.size()));
        for (const Acc &a : series.buckets) {
            put(out, a.index);
            put(out, a.min);
            put(out, a.max);
            put(out, a.sum);
            put(out, a.count);
        }
    }
    delete s;
    sqlite3_result_blob64(ctx, out.constData(), static_cast<sqlite3_uint64>(out.size()), SQLITE_TRANSIENT);
}

bool digits(const char *p, int n, int &out)
{
    out = 0;
    for (int i = 0; i < n; ++i) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        out = out * 10 + (p[i] - '0');
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

bool parseTimeUs(const char *p, std::size_t size, std::int64_t &us)
{
    // YYYY-MM-DDTHH:MM:SS, 19 characters, then an optional fraction and 'Z'.
    if (!p || size < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') || p[13] != ':'
        || p[16] != ':')
        return false;
    int y, mo, d, h, mi, s;
    if (!digits(p, 4, y) || !digits(p + 5, 2, mo) || !digits(p + 8, 2, d) || !digits(p + 11, 2, h)
        || !digits(p + 14, 2, mi) || !digits(p + 17, 2, s))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    std::size_t i = 19;
    std::int64_t fraction = 0;
    if (i < size && p[i] == '.') {
        ++i;
        std::size_t n = 0;
        for (; i < size && p[i] >= '0' && p[i] <= '9'; ++i, ++n)
            if (n < 6)
                fraction = fraction * 10 + (p[i] - '0');
        if (n == 0 || n > 9)
            return false;
        for (; n < 6; ++n)
            fraction *= 10;
    }
    if (i < size && p[i] == 'Z')
        ++i;
    if (i != size)
        return false;
    const std::int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    us = ((days * 86400 + h * 3600 + mi * 60 + s) * 1000000) + fraction;
    return true;
}

bool install(sqlite3 *db, QString *error)
{
    constexpr int Flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (sqlite3_create_function_v2(db, "iot_number", 2, Flags, nullptr, iotNumber, nullptr, nullptr, nullptr)
            != SQLITE_OK
        || sqlite3_create_function_v2(db, "iot_buckets", 6, Flags, nullptr, nullptr, bucketsStep, bucketsFinal,
                                      nullptr)
               != SQLITE_OK) {
        if (error)
            *error = QString::fromUtf8(sqlite3_errmsg(db));
        return false;
    }
    return true;
}

bool decode(QByteArrayView blob, std::int64_t fromUs, std::int64_t widthUs, QList<HistorySeries> &series)
{
    const char *p = blob.data(), *end = p + blob.size();
    const auto take = [&](auto &v) {
        if (end - p < static_cast<std::ptrdiff_t>(sizeof v))
            return false;
        std::memcpy(&v, p, sizeof v);
        p += sizeof v;
        return true;
    };
    QList<HistorySeries> out;
    while (p < end) {
        std::uint32_t topicSize = 0, n = 0;
        if (!take(topicSize) || end - p < static_cast<std::ptrdiff_t>(topicSize))
            return false;
        HistorySeries s;
        s.topic = QString::fromUtf8(p, static_cast<qsizetype>(topicSize));
        p += topicSize;
        if (!take(n) || static_cast<std::size_t>(end - p) < std::size_t(n) * 40)
            return false;
        s.buckets.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            std::int64_t index = 0;
            double sum = 0;
            HistoryBucket b;
            take(index);
            take(b.min);
            take(b.max);
            take(sum);
            take(b.count);
            b.startUs = fromUs + index * widthUs;
            b.mean = sum / double(b.count);
            s.buckets.append(b);
        }
        out.append(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const HistorySeries &a, const HistorySeries &b) {
        return a.topic.toUtf8() < b.topic.toUtf8();  // as SQLite's ORDER BY topic (BINARY) had them
    });
    series = std::move(out);
    return true;
}

} // namespace iot::SqliteHistoryFunctions
