// SPDX-License-Identifier: MIT
#include "util/timeformat.h"

#include <chrono>

namespace iot::TimeFormat {
namespace {

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
void civilFromDays(std::int64_t z, std::int64_t &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        ++y;
}

void put(char *&p, std::uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    p += width;
}

} // namespace

void isoUtc(std::int64_t epochUs, char *out)
{
    std::int64_t secs = epochUs / 1000000;
    std::int64_t us = epochUs % 1000000;
    if (us < 0) {
        us += 1000000;
        --secs;
    }
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    civilFromDays(days, y, m, d);
    char *p = out;
    put(p, static_cast<std::uint64_t>(y < 0 ? 0 : y % 10000), 4);
    *p++ = '-';
    put(p, m, 2);
    *p++ = '-';
    put(p, d, 2);
    *p++ = 'T';
    put(p, static_cast<std::uint64_t>(rem / 3600), 2);
    *p++ = ':';
    put(p, static_cast<std::uint64_t>(rem / 60 % 60), 2);
    *p++ = ':';
    put(p, static_cast<std::uint64_t>(rem % 60), 2);
    *p++ = '.';
    put(p, static_cast<std::uint64_t>(us), 6);
    *p++ = 'Z';
}

std::int64_t nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace iot::TimeFormat
