// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

namespace iot {

/// MQTT topic filters (`+` one level, `#` the rest) for queries over stored topics: the check of a filter, the
/// exact match, and a coarse SQL condition on the literal text before the first wildcard. The SQL narrows the rows
/// the database sends; the exact match in C++ decides (LIKE knows no "one level"). Whether a filter is valid at
/// all is ConfigLoader::topicFilterProblem's to say, as for [mqtt] topics. Pure functions.
namespace TopicFilters {

/// MQTT matching (MQTT 3.1.1 §4.7): `sensors/#` matches `sensors` too; wildcards at the first level never match
/// a topic that starts with `$`.
bool matches(QStringView filter, QStringView topic);
/// True when the filter has a wildcard, i.e. the SQL condition alone is not exact.
bool hasWildcard(QStringView filter);
/// `s` with the LIKE metacharacters `%`, `_` and the escape `\` escaped by `\` (for `LIKE ... ESCAPE '\'`).
QString escapeLike(QStringView s);

/// One filter's SQL condition on `column`, with its parameters in order. `placeholder(n)` spells the n-th
/// parameter (0-based over the whole query: `first` is the number used so far). Empty `sql`: no condition can
/// narrow it (the filter starts with a wildcard).
struct SqlCondition
{
    QString sql;
    QStringList params;
};
SqlCondition sqlCondition(QStringView filter, const QString &column, int first, QString (*placeholder)(int));

} // namespace TopicFilters
} // namespace iot
