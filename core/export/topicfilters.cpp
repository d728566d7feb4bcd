// SPDX-License-Identifier: MIT
#include "export/topicfilters.h"

#include <algorithm>

namespace iot::TopicFilters {

bool hasWildcard(QStringView filter)
{
    return filter.contains(QLatin1Char('+')) || filter.contains(QLatin1Char('#'));
}

bool matches(QStringView filter, QStringView topic)
{
    if (topic.startsWith(QLatin1Char('$')) && (filter.startsWith(QLatin1Char('+')) || filter.startsWith(QLatin1Char('#'))))
        return false;
    qsizetype f = 0;
    qsizetype t = 0;
    while (true) {
        const qsizetype fEnd = filter.indexOf(QLatin1Char('/'), f);
        const QStringView level = filter.sliced(f, (fEnd < 0 ? filter.size() : fEnd) - f);
        if (level == QLatin1String("#"))
            return true;  // the rest, including nothing (`a/#` matches `a`: t then stands past its end)
        if (t > topic.size())
            return false;  // the topic ran out of levels first
        const qsizetype tEnd = topic.indexOf(QLatin1Char('/'), t);
        const QStringView tLevel = topic.sliced(t, (tEnd < 0 ? topic.size() : tEnd) - t);
        if (level != QLatin1String("+") && level != tLevel)
            return false;
        if (fEnd < 0)
            return tEnd < 0;  // both end here
        f = fEnd + 1;
        t = tEnd < 0 ? topic.size() + 1 : tEnd + 1;  // past the end: only a following `#` can still match
    }
}

QString escapeLike(QStringView s)
{
    QString out;
    out.reserve(s.size() + 4);
    for (const QChar c : s) {
        if (c == QLatin1Char('\\') || c == QLatin1Char('%') || c == QLatin1Char('_'))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

SqlCondition sqlCondition(QStringView filter, const QString &column, int first, QString (*placeholder)(int))
{
    SqlCondition out;
    if (!hasWildcard(filter)) {
        out.sql = column + QStringLiteral(" = ") + placeholder(first);
        out.params << filter.toString();
        return out;
    }
    // The literal levels before the first wildcard level; `a/b/#` also matches `a/b` itself.
    const qsizetype wild = std::min(filter.indexOf(QLatin1Char('+')) < 0 ? filter.size() : filter.indexOf(QLatin1Char('+')),
                                    filter.indexOf(QLatin1Char('#')) < 0 ? filter.size() : filter.indexOf(QLatin1Char('#')));
    const QStringView prefix = filter.first(wild);
    if (prefix.isEmpty())
        return out;
    out.sql = column + QStringLiteral(" LIKE ") + placeholder(first) + QStringLiteral(" ESCAPE '\\'");
    out.params << escapeLike(prefix) + QLatin1Char('%');
    if (filter.at(wild) == QLatin1Char('#')) {
        out.sql = QLatin1Char('(') + out.sql + QStringLiteral(" OR ") + column + QStringLiteral(" = ")
            + placeholder(first + 1) + QLatin1Char(')');
        out.params << prefix.chopped(1).toString();  // without its trailing '/'
    }
    return out;
}

} // namespace iot::TopicFilters
