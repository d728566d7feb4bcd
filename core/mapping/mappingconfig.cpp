// SPDX-License-Identifier: MIT
#include "mapping/mappingconfig.h"

#include "config/configloader.h"
#include "config/tomlreader.h"

#include <QRegularExpression>
#include <QSet>

#include <array>
#include <string_view>

namespace iot::MappingConfig {
namespace {

using namespace std::string_view_literals;

constexpr std::array RuleKeys{"name"sv, "topics"sv, "table"sv, "columns"sv, "unique"sv, "time_column"sv,
    "hypertable"sv, "max_clock_skew_sec"sv, "on_clock_skew"sv};
constexpr std::array ColumnKeys{"name"sv, "source"sv, "type"sv, "required"sv, "time_format"sv};

struct Named
{
    const char *name;
    int value;
};
constexpr Named Types[] = {{"integer", int(ColumnMapping::Type::Integer)}, {"double", int(ColumnMapping::Type::Double)},
    {"text", int(ColumnMapping::Type::Text)}, {"boolean", int(ColumnMapping::Type::Boolean)},
    {"timestamptz", int(ColumnMapping::Type::Timestamptz)}, {"jsonb", int(ColumnMapping::Type::Jsonb)}};
constexpr Named Encodings[] = {{"auto", int(ColumnMapping::TimeEncoding::Auto)},
    {"iso8601", int(ColumnMapping::TimeEncoding::Iso8601)},
    {"epoch_s", int(ColumnMapping::TimeEncoding::EpochSeconds)},
    {"epoch_ms", int(ColumnMapping::TimeEncoding::EpochMillis)},
    {"epoch_us", int(ColumnMapping::TimeEncoding::EpochMicros)}};

template <std::size_t N>
QString names(const Named (&list)[N])
{
    QStringList out;
    for (const Named &n : list)
        out << QString::fromLatin1(n.name);
    return out.join(QStringLiteral(", "));
}

template <std::size_t N>
std::optional<int> lookup(const Named (&list)[N], const QString &text)
{
    for (const Named &n : list)
        if (text == QLatin1String(n.name))
            return n.value;
    return std::nullopt;
}

template <std::size_t N>
QString nameOf(const Named (&list)[N], int value)
{
    for (const Named &n : list)
        if (n.value == value)
            return QString::fromLatin1(n.name);
    return {};
}

// The {name} levels of a topic pattern, or a problem.
QString patternProblem(const QString &pattern, QStringList &segments)
{
    QStringList levels = pattern.split(u'/');
    static const QRegularExpression named(QStringLiteral("^\\{([A-Za-z_][A-Za-z0-9_]*)\\}$"));
    for (QString &level : levels) {
        if (level.contains(u'{') || level.contains(u'}')) {
            const auto m = named.match(level);
            if (!m.hasMatch())
                return QStringLiteral("a named level must be {name} alone in its level");
            if (segments.contains(m.captured(1)))
                return QStringLiteral("segment {%1} appears twice").arg(m.captured(1));
            segments << m.captured(1);
            level = QStringLiteral("+");
        }
    }
    return ConfigLoader::topicFilterProblem(levels.join(u'/'));
}

bool parseSource(const QString &text, ColumnMapping &c)
{
    using S = ColumnMapping::Source;
    if (text.startsWith(u'/')) {
        c.source = S::JsonPointer;
        c.path = text;
        return true;
    }
    if (text.startsWith(QStringLiteral("topic:")) && text.size() > 6) {
        c.source = S::TopicSegment;
        c.path = text.mid(6);
        return true;
    }
    static const QList<QPair<QString, S>> keywords = {{QStringLiteral("topic"), S::Topic},
        {QStringLiteral("received_at"), S::ReceivedAt}, {QStringLiteral("payload"), S::Payload},
        {QStringLiteral("value"), S::Value}, {QStringLiteral("clock_skew"), S::ClockSkew}};
    for (const auto &[word, source] : keywords) {
        if (text == word) {
            c.source = source;
            return true;
        }
    }
    return false;
}

void readColumn(TomlReader &reader, const toml::table &t, const QString &key, const QStringList &segments,
                ColumnMapping &c)
{
    reader.rejectUnknownKeys(t, key, ColumnKeys);
    if (auto v = reader.string(t, key, "name", true)) {
        if (ConfigLoader::isSqlIdentifier(*v) && !v->contains(u'.'))
            c.name = *v;
        else
            reader.failExpected(*t.get("name"), key + QStringLiteral(".name"),
                                QStringLiteral("a column name (letters, digits, _)"));
    } else if (!t.contains("name")) {
        reader.fail(t.source(), key, QStringLiteral("missing key \"name\""));
    }
    if (auto v = reader.string(t, key, "source", true)) {
        if (!parseSource(*v, c))
            reader.failExpected(*t.get("source"), key + QStringLiteral(".source"),
                                QStringLiteral("a JSON pointer (\"/field\"), \"topic:<segment>\", \"topic\", "
                                               "\"received_at\", \"payload\", \"value\" or \"clock_skew\""));
        else if (c.source == ColumnMapping::Source::TopicSegment && !segments.contains(c.path))
            reader.fail(t.get("source")->source(), key + QStringLiteral(".source"),
                        QStringLiteral("no {%1} level in this rule's topics").arg(c.path));
    } else if (!t.contains("source")) {
        reader.fail(t.source(), key, QStringLiteral("missing key \"source\""));
    }
    if (auto v = reader.string(t, key, "type", true)) {
        if (auto type = lookup(Types, *v))
            c.type = ColumnMapping::Type(*type);
        else
            reader.failExpected(*t.get("type"), key + QStringLiteral(".type"), QStringLiteral("one of ") + names(Types));
    } else if (!t.contains("type")) {
        // Sensible defaults per source, so the common cases need no type.
        using S = ColumnMapping::Source;
        c.type = c.source == S::ReceivedAt ? ColumnMapping::Type::Timestamptz
            : c.source == S::Payload       ? ColumnMapping::Type::Jsonb
            : c.source == S::ClockSkew     ? ColumnMapping::Type::Boolean
            : c.source == S::Value         ? ColumnMapping::Type::Double
                                           : ColumnMapping::Type::Text;
    }
    if (auto v = reader.boolean(t, key, "required"))
        c.required = *v;
    if (auto v = reader.string(t, key, "time_format", true)) {
        if (auto e = lookup(Encodings, *v))
            c.time = ColumnMapping::TimeEncoding(*e);
        else
            reader.failExpected(*t.get("time_format"), key + QStringLiteral(".time_format"),
                                QStringLiteral("one of ") + names(Encodings));
    }
}

QStringList stringList(TomlReader &reader, const toml::table &t, const QString &key, std::string_view name)
{
    QStringList out;
    const toml::node *node = t.get(name);
    if (!node)
        return out;
    const auto *array = node->as_array();
    if (!array) {
        reader.failExpected(*node, TomlReader::keyPath(key, name), QStringLiteral("an array of strings"));
        return out;
    }
    for (const toml::node &e : *array) {
        if (const auto *s = e.as_string())
            out << QString::fromStdString(s->get());
        else
            reader.failExpected(e, TomlReader::keyPath(key, name), QStringLiteral("a string"));
    }
    return out;
}

// `topics`: the rule's patterns; returns the {segment} names they capture, for topic:<segment> columns.
QStringList readTopics(TomlReader &reader, const toml::table &t, const QString &key, MappingRule &rule)
{
    rule.topics = stringList(reader, t, key, "topics");
    QStringList segments;
    for (const QString &p : std::as_const(rule.topics)) {
        QStringList mine;
        const QString problem = patternProblem(p, mine);
        if (!problem.isEmpty())
            reader.fail(t.get("topics")->source(), key + QStringLiteral(".topics"),
                        QStringLiteral("invalid topic pattern ") + TomlReader::quote(p) + QStringLiteral(": ")
                            + problem);
        for (const QString &s : mine)
            if (!segments.contains(s))
                segments << s;
    }
    if (rule.topics.isEmpty() && !reader.failed())
        reader.fail(t.source(), key + QStringLiteral(".topics"), QStringLiteral("at least one topic pattern"));
    return segments;
}

// `table`: one table per rule (`tables` holds those of the rules before, lower case).
void readTable(TomlReader &reader, const toml::table &t, const QString &key, MappingRule &rule, QSet<QString> &tables)
{
    if (auto v = reader.string(t, key, "table", true)) {
        if (!ConfigLoader::isSqlIdentifier(*v))
            reader.failExpected(*t.get("table"), key + QStringLiteral(".table"),
                                QStringLiteral("an SQL identifier (name or schema.name)"));
        else if (tables.contains(v->toLower()))
            reader.fail(t.get("table")->source(), key + QStringLiteral(".table"),
                        QStringLiteral("another rule already writes to %1; one table per rule").arg(*v));
        rule.table = *v;
        tables.insert(v->toLower());
    } else if (!t.contains("table")) {
        reader.fail(t.source(), key, QStringLiteral("missing key \"table\""));
    }
}

// [[mappings.columns]]: at least one, names unique.
void readColumns(TomlReader &reader, const toml::table &t, const QString &key, const QStringList &segments,
                 MappingRule &rule)
{
    const toml::node *cols = t.get("columns");
    if (!cols) {
        reader.fail(t.source(), key, QStringLiteral("missing [[mappings.columns]]"));
        return;
    }
    const auto *array = cols->as_array();
    if (!array || array->empty()) {
        reader.failExpected(*cols, key + QStringLiteral(".columns"), QStringLiteral("[[mappings.columns]] tables"));
        return;
    }
    for (std::size_t k = 0; k < array->size(); ++k) {
        const QString ckey = key + QStringLiteral(".columns[%1]").arg(k);
        const toml::table *ct = array->get(k)->as_table();
        if (!ct) {
            reader.failExpected(*array->get(k), ckey, QStringLiteral("a table"));
            continue;
        }
        ColumnMapping c;
        readColumn(reader, *ct, ckey, segments, c);
        for (const ColumnMapping &other : std::as_const(rule.columns))
            if (other.name.compare(c.name, Qt::CaseInsensitive) == 0 && !c.name.isEmpty())
                reader.fail(ct->source(), ckey, QStringLiteral("column %1 appears twice").arg(c.name));
        rule.columns << c;
    }
}

// `unique`, `time_column`, `hypertable`, `max_clock_skew_sec`, `on_clock_skew`: they name the rule's columns.
void readKeysOverColumns(TomlReader &reader, const toml::table &t, const QString &key, MappingRule &rule)
{
    const auto hasColumn = [&rule](const QString &name) {
        for (const ColumnMapping &c : rule.columns)
            if (c.name == name)
                return true;
        return false;
    };
    rule.unique = stringList(reader, t, key, "unique");
    for (const QString &u : std::as_const(rule.unique))
        if (!hasColumn(u))
            reader.fail(t.get("unique")->source(), key + QStringLiteral(".unique"),
                        QStringLiteral("no column named %1").arg(u));
    if (auto v = reader.string(t, key, "time_column", true)) {
        rule.timeColumn = *v;
        bool ok = false;
        for (const ColumnMapping &c : std::as_const(rule.columns))
            ok = ok || (c.name == *v && c.type == ColumnMapping::Type::Timestamptz);
        if (!ok)
            reader.fail(t.get("time_column")->source(), key + QStringLiteral(".time_column"),
                        QStringLiteral("no timestamptz column named %1").arg(*v));
    }
    if (auto v = reader.boolean(t, key, "hypertable"))
        rule.hypertable = *v;
    if (rule.hypertable && rule.timeColumn.isEmpty() && t.contains("hypertable"))
        reader.fail(t.get("hypertable")->source(), key + QStringLiteral(".hypertable"),
                    QStringLiteral("a hypertable needs time_column"));
    if (auto v = reader.number(t, key, "max_clock_skew_sec", 0, false, 1e9,
                               QStringLiteral("a number of seconds >= 0 (0: no check)")))
        rule.maxClockSkewSec = *v;
    if (rule.maxClockSkewSec > 0 && rule.timeColumn.isEmpty() && t.contains("max_clock_skew_sec"))
        reader.fail(t.get("max_clock_skew_sec")->source(), key + QStringLiteral(".max_clock_skew_sec"),
                    QStringLiteral("a clock-skew check needs time_column (the device time)"));
    if (auto v = reader.string(t, key, "on_clock_skew", true)) {
        if (*v == QLatin1String("dead_letter") || *v == QLatin1String("flag"))
            rule.skewToDeadLetter = *v == QLatin1String("dead_letter");
        else
            reader.failExpected(*t.get("on_clock_skew"), key + QStringLiteral(".on_clock_skew"),
                                QStringLiteral("\"dead_letter\" or \"flag\""));
    }
}

} // namespace

void read(TomlReader &reader, const toml::array &rules, QList<MappingRule> &out)
{
    QSet<QString> tables;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const QString key = QStringLiteral("mappings[%1]").arg(i);
        const toml::table *t = rules.get(i)->as_table();
        if (!t) {
            reader.failExpected(*rules.get(i), key, QStringLiteral("a table ([[mappings]])"));
            continue;
        }
        reader.rejectUnknownKeys(*t, key, RuleKeys);
        MappingRule rule;
        rule.name = reader.string(*t, key, "name", true).value_or(QStringLiteral("rule %1").arg(i + 1));
        const QStringList segments = readTopics(reader, *t, key, rule);
        readTable(reader, *t, key, rule, tables);
        readColumns(reader, *t, key, segments, rule);
        readKeysOverColumns(reader, *t, key, rule);
        out << rule;
    }
}

QString typeName(ColumnMapping::Type type)
{
    return nameOf(Types, int(type));
}

QString timeEncodingName(ColumnMapping::TimeEncoding encoding)
{
    return nameOf(Encodings, int(encoding));
}

QString sourceText(const ColumnMapping &c)
{
    using S = ColumnMapping::Source;
    switch (c.source) {
    case S::JsonPointer: return c.path;
    case S::TopicSegment: return QStringLiteral("topic:") + c.path;
    case S::Topic: return QStringLiteral("topic");
    case S::ReceivedAt: return QStringLiteral("received_at");
    case S::Payload: return QStringLiteral("payload");
    case S::Value: return QStringLiteral("value");
    case S::ClockSkew: return QStringLiteral("clock_skew");
    }
    return {};
}

QString toToml(const QList<MappingRule> &rules)
{
    QString out;
    const auto list = [](const QStringList &items) -> QString {
        QStringList q;
        for (const QString &s : items)
            q << TomlReader::quote(s);
        return u'[' + q.join(QStringLiteral(", ")) + u']';
    };
    for (const MappingRule &r : rules) {
        out += QStringLiteral("\n[[mappings]]\nname = %1\ntopics = %2\ntable = %3\n")
                   .arg(TomlReader::quote(r.name), list(r.topics), TomlReader::quote(r.table));
        if (!r.unique.isEmpty())
            out += QStringLiteral("unique = ") + list(r.unique) + u'\n';
        if (!r.timeColumn.isEmpty())
            out += QStringLiteral("time_column = ") + TomlReader::quote(r.timeColumn) + u'\n';
        out += QStringLiteral("hypertable = %1\nmax_clock_skew_sec = %2\non_clock_skew = \"%3\"\n")
                   .arg(r.hypertable ? QStringLiteral("true") : QStringLiteral("false"),
                        TomlReader::formatNumber(r.maxClockSkewSec),
                        r.skewToDeadLetter ? QStringLiteral("dead_letter") : QStringLiteral("flag"));
        for (const ColumnMapping &c : r.columns)
            out += QStringLiteral("[[mappings.columns]]\nname = %1\nsource = %2\ntype = \"%3\"\nrequired = %4\n"
                                  "time_format = \"%5\"\n")
                       .arg(TomlReader::quote(c.name), TomlReader::quote(sourceText(c)), typeName(c.type),
                            c.required ? QStringLiteral("true") : QStringLiteral("false"),
                            timeEncodingName(c.time));
    }
    return out;
}

} // namespace iot::MappingConfig
