// SPDX-License-Identifier: MIT
#include "config/tomlreader.h"

#include <QRegularExpression>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <tuple>

namespace iot {

namespace {

constexpr qsizetype MaxRenderedLength = 60;

QString fromStd(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// Levenshtein distance, small strings only (key names).
int editDistance(const QString &a, const QString &b)
{
    QList<int> previous(b.size() + 1);
    QList<int> current(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        current[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

QString renderKey(std::string_view key)
{
    static const QRegularExpression bare(QStringLiteral("^[A-Za-z0-9_-]+$"));
    const QString text = fromStd(key);
    return bare.match(text).hasMatch() ? text : TomlReader::quote(text);
}

QString renderFull(const toml::node &node)
{
    if (const auto *v = node.as_string())
        return TomlReader::quote(fromStd(v->get()));
    if (const auto *v = node.as_integer())
        return QString::number(v->get());
    if (const auto *v = node.as_floating_point())
        return TomlReader::formatNumber(v->get());
    if (const auto *v = node.as_boolean())
        return v->get() ? QStringLiteral("true") : QStringLiteral("false");
    if (const auto *array = node.as_array()) {
        QStringList items;
        for (const toml::node &item : *array)
            items << renderFull(item);
        return u'[' + items.join(QStringLiteral(", ")) + u']';
    }
    if (const auto *table = node.as_table()) {
        if (table->empty())
            return QStringLiteral("{}");
        QStringList items;
        for (auto &&[key, value] : *table)
            items << renderKey(key.str()) + QStringLiteral(" = ") + renderFull(value);
        return QStringLiteral("{ ") + items.join(QStringLiteral(", ")) + QStringLiteral(" }");
    }
    // Dates and times: toml++ prints them in TOML notation already.
    std::ostringstream out;
    if (const auto *v = node.as_date())
        out << v->get();
    else if (const auto *v = node.as_time())
        out << v->get();
    else if (const auto *v = node.as_date_time())
        out << v->get();
    return QString::fromStdString(out.str());
}

} // namespace

TomlReader::TomlReader(QString sourceName) : m_sourceName(std::move(sourceName)) {}

bool TomlReader::parse(const QByteArray &toml)
{
    const std::string_view document(toml.constData(), size_t(toml.size()));
    const std::string_view sourcePath;
#if TOML_EXCEPTIONS
    try {
        m_root = toml::parse(document, sourcePath);
    } catch (const toml::parse_error &e) {
        fail(e.source(), QStringLiteral("syntax error"), fromStd(e.description()));
        return false;
    } catch (const std::exception &e) {
        fail(toml::source_region{}, QString(), QStringLiteral("cannot parse: ") + QString::fromLocal8Bit(e.what()));
        return false;
    }
#else
    toml::parse_result result = toml::parse(document, sourcePath);
    if (!result) {
        fail(result.error().source(), QStringLiteral("syntax error"), fromStd(result.error().description()));
        return false;
    }
    m_root = std::move(result).table();
#endif
    return true;
}

Error TomlReader::error() const
{
    if (m_problems.isEmpty())
        return Error{};
    // stable: among problems at the same spot the first recorded wins
    const auto first = std::min_element(m_problems.cbegin(), m_problems.cend(),
        [](const Problem &a, const Problem &b) {
            return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
    return Error{.message = first->text, .line = int(first->line), .column = int(first->column)};
}

void TomlReader::fail(const toml::source_region &where, const QString &key, const QString &message)
{
    Problem problem;
    problem.line = where.begin.line;
    problem.column = where.begin.column;
    problem.text = m_sourceName;
    if (problem.line > 0)
        problem.text += u':' + QString::number(problem.line) + u':' + QString::number(problem.column);
    problem.text += QStringLiteral(": ");
    if (!key.isEmpty())
        problem.text += key + QStringLiteral(": ");
    problem.text += message;
    m_problems.append(problem);
}

void TomlReader::rejectUnknownKeys(const toml::table &table, const QString &prefix,
                                   std::span<const std::string_view> known)
{
    for (auto &&[key, value] : table) {
        if (std::find(known.begin(), known.end(), key.str()) != known.end())
            continue;
        const QString name = fromStd(key.str());
        const bool isSection = value.is_table() && !value.as_table()->is_inline();
        QString message = isSection ? QStringLiteral("unknown section") : QStringLiteral("unknown key");
        int bestDistance = 3;
        QString suggestion;
        for (std::string_view candidate : known) {
            const int distance = editDistance(name, fromStd(candidate));
            if (distance < bestDistance) {
                bestDistance = distance;
                suggestion = fromStd(candidate);
            }
        }
        if (!suggestion.isEmpty())
            message += QStringLiteral(" (did you mean \"") + suggestion + QStringLiteral("\"?)");
        fail(key.source(), prefix.isEmpty() ? renderKey(key.str()) : prefix + u'.' + renderKey(key.str()), message);
    }
}

const toml::table *TomlReader::table(const toml::table &parent, const QString &prefix, std::string_view key)
{
    const toml::node *node = parent.get(key);
    if (!node)
        return nullptr;
    if (!node->is_table()) {
        failExpected(*node, keyPath(prefix, key), QStringLiteral("a table"));
        return nullptr;
    }
    return node->as_table();
}

std::optional<QString> TomlReader::string(const toml::table &t, const QString &prefix, std::string_view key,
                                          bool nonEmpty, bool secret)
{
    const toml::node *node = t.get(key);
    if (!node)
        return std::nullopt;
    const auto *value = node->as_string();
    if (!value || (nonEmpty && value->get().empty())) {
        failExpected(*node, keyPath(prefix, key),
                     nonEmpty ? QStringLiteral("a non-empty string") : QStringLiteral("a string"), secret);
        return std::nullopt;
    }
    return fromStd(value->get());
}

std::optional<bool> TomlReader::boolean(const toml::table &t, const QString &prefix, std::string_view key)
{
    const toml::node *node = t.get(key);
    if (!node)
        return std::nullopt;
    if (const auto *value = node->as_boolean())
        return value->get();
    failExpected(*node, keyPath(prefix, key), QStringLiteral("a boolean"));
    return std::nullopt;
}

std::optional<qint64> TomlReader::integer(const toml::table &t, const QString &prefix, std::string_view key,
                                          qint64 min, qint64 max, const QString &expectation)
{
    const toml::node *node = t.get(key);
    if (!node)
        return std::nullopt;
    const auto *value = node->as_integer();
    if (!value || value->get() < min || value->get() > max) {
        failExpected(*node, keyPath(prefix, key), expectation);
        return std::nullopt;
    }
    return value->get();
}

std::optional<double> TomlReader::number(const toml::table &t, const QString &prefix, std::string_view key,
                                         double min, bool minExclusive, double max, const QString &expectation)
{
    const toml::node *node = t.get(key);
    if (!node)
        return std::nullopt;
    std::optional<double> number;
    if (const auto *i = node->as_integer())
        number = double(i->get());
    else if (const auto *f = node->as_floating_point())
        number = f->get();
    // NaN fails every comparison below, so it is rejected along with infinities
    const bool ok = number && std::isfinite(*number) && (minExclusive ? *number > min : *number >= min)
        && *number <= max;
    if (!ok) {
        failExpected(*node, keyPath(prefix, key), expectation);
        return std::nullopt;
    }
    return number;
}

void TomlReader::failExpected(const toml::node &node, const QString &key, const QString &expectation, bool secret)
{
    fail(node.source(), key,
         QStringLiteral("expected ") + expectation + QStringLiteral(", got ") + (secret ? typeName(node) : render(node)));
}

QString TomlReader::keyPath(const QString &prefix, std::string_view key)
{
    return prefix.isEmpty() ? renderKey(key) : prefix + u'.' + renderKey(key);
}

QString TomlReader::render(const toml::node &node)
{
    QString text = renderFull(node);
    if (text.size() > MaxRenderedLength)
        text = text.left(MaxRenderedLength - 3) + QStringLiteral("...");
    return text;
}

QString TomlReader::typeName(const toml::node &node)
{
    switch (node.type()) {
    case toml::node_type::string: return QStringLiteral("a string");
    case toml::node_type::integer: return QStringLiteral("an integer");
    case toml::node_type::floating_point: return QStringLiteral("a float");
    case toml::node_type::boolean: return QStringLiteral("a boolean");
    case toml::node_type::array: return QStringLiteral("an array");
    case toml::node_type::table: return QStringLiteral("a table");
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return QStringLiteral("a date/time");
    case toml::node_type::none: break;
    }
    return QStringLiteral("nothing");
}

QString TomlReader::quote(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += u'"';
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'"': out += QStringLiteral("\\\""); break;
        case u'\\': out += QStringLiteral("\\\\"); break;
        case u'\b': out += QStringLiteral("\\b"); break;
        case u'\t': out += QStringLiteral("\\t"); break;
        case u'\n': out += QStringLiteral("\\n"); break;
        case u'\f': out += QStringLiteral("\\f"); break;
        case u'\r': out += QStringLiteral("\\r"); break;
        default:
            // TOML basic strings may not hold the other control characters raw
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += QStringLiteral("\\u00") + QString::number(c.unicode(), 16).rightJustified(2, u'0').toUpper();
            else
                out += c;
        }
    }
    out += u'"';
    return out;
}

QString TomlReader::formatNumber(double value)
{
    // Shortest text that reads back as the same double, so printed configs round-trip exactly.
    char buffer[64];
    const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value);
    QString text = QString::fromLatin1(buffer, ec == std::errc() ? end - buffer : 0);
    // TOML needs a dot or an exponent to read a float back as a float
    if (!text.contains(u'.') && !text.contains(u'e') && !text.contains(u'n'))
        text += QStringLiteral(".0");
    return text;
}

} // namespace iot
