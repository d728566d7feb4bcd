// SPDX-License-Identifier: MIT
#include "config/secrets.h"

#include "config/configkeys.h"
#include "config/tomlreader.h"

#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <vector>

namespace iot::Secrets {
namespace {

const QString &alertmanagerUrl(const Config &config)
{
    return config.alerting.alertmanagerUrl;
}

/// Secret keys of the sections read outside ConfigKeys (config/alertsection.cpp reads [alerting]): an
/// Alertmanager behind a proxy takes a password or a token in its URL like any trace collector.
const ConfigKey ElsewhereKeys[] = {
    {"alerting", "alertmanager_url", nullptr, Secrecy::Url, {}, &alertmanagerUrl},
};

/// Every secret key: ConfigKeys' own and the ones above.
std::vector<const ConfigKey *> secretKeys()
{
    std::vector<const ConfigKey *> out;
    for (const ConfigKey &k : ConfigKeys::all())
        if (k.secrecy != Secrecy::None)
            out.push_back(&k);
    for (const ConfigKey &k : ElsewhereKeys)
        out.push_back(&k);
    return out;
}

/// Where one secret key's value stands in a config.toml text (QString indices, [from, to)) and what it reads as.
struct Span
{
    const ConfigKey *key = nullptr;
    qsizetype from = 0;
    qsizetype to = 0;
    QString value;
};

/// toml++ counts lines from 1 and columns in code points from 1; QString indexes UTF-16 units.
qsizetype indexOf(const QString &text, const std::vector<qsizetype> &lineStarts, toml::source_position pos)
{
    if (pos.line == 0 || pos.line > lineStarts.size())
        return -1;
    qsizetype i = lineStarts[pos.line - 1];
    for (toml::source_index c = 1; c < pos.column && i < text.size(); ++c)
        i += text.at(i).isHighSurrogate() && i + 1 < text.size() ? 2 : 1;
    return i;
}

/// The secret keys' values in `text`, last first (so replacing them in order keeps earlier indices valid);
/// false when the text does not parse.
bool secretSpans(const QString &text, std::vector<Span> &out)
{
    TomlReader reader{QString()};
    if (!reader.parse(text.toUtf8()))
        return false;
    std::vector<qsizetype> lineStarts{0};
    for (qsizetype i = 0; i < text.size(); ++i)
        if (text.at(i) == u'\n')
            lineStarts.push_back(i + 1);
    for (const ConfigKey *key : secretKeys()) {
        const ConfigKey &k = *key;
        const toml::table *section = reader.root().get_as<toml::table>(k.section);
        const toml::node *node = section ? section->get(k.key) : nullptr;
        if (!node || !node->is_string())
            continue;
        const toml::source_region &r = node->source();
        const qsizetype from = indexOf(text, lineStarts, r.begin);
        const qsizetype to = indexOf(text, lineStarts, r.end);
        if (from < 0 || to < from)
            continue;
        out.push_back({&k, from, to, QString::fromStdString(std::string(*node->value<std::string_view>()))});
    }
    std::sort(out.begin(), out.end(), [](const Span &a, const Span &b) { return a.from > b.from; });
    return true;
}

QString maskedValue(const Span &s)
{
    return s.key->secrecy == Secrecy::Url ? maskUrl(s.value) : (s.value.isEmpty() ? s.value : mask());
}

/// `edited` (a URL from maskUrl()) with its masked parts taken from `original` again.
QString restoreUrl(const QString &edited, const QString &original)
{
    QUrl url(edited);
    const QUrl from(original);
    if (url.password() == mask() && !from.password().isEmpty())
        url.setPassword(from.password());
    QUrlQuery query(url);
    const QUrlQuery was(from);
    bool changed = false;
    auto items = query.queryItems(QUrl::FullyDecoded);
    for (auto &item : items) {
        if (item.second == mask() && was.hasQueryItem(item.first)) {
            item.second = was.queryItemValue(item.first, QUrl::FullyDecoded);
            changed = true;
        }
    }
    if (changed) {
        query.setQueryItems(items);
        url.setQuery(query);
    }
    return url.toString();
}

} // namespace

QString mask()
{
    return QStringLiteral("********");
}

QString fromEnvironment()
{
    return QStringLiteral("(from environment)");
}

bool isSecretParameter(const QString &name)
{
    static const QRegularExpression pattern(
        QStringLiteral("token|secret|pass|pwd|key|auth|sig|credential|session"),
        QRegularExpression::CaseInsensitiveOption);
    return pattern.match(name).hasMatch();
}

QString maskUrl(const QString &text)
{
    QUrl url(text);
    if (!url.isValid())
        return text;
    bool changed = false;
    if (!url.password().isEmpty()) {
        url.setPassword(mask());
        changed = true;
    }
    if (url.hasQuery()) {
        QUrlQuery query(url);
        auto items = query.queryItems(QUrl::FullyDecoded);
        for (auto &item : items) {
            if (isSecretParameter(item.first) && !item.second.isEmpty()) {
                item.second = mask();
                changed = true;
            }
        }
        query.setQueryItems(items);
        url.setQuery(query);
    }
    return changed ? url.toString() : text;
}

QStringList ofUrl(const QString &text)
{
    QStringList out;
    const QUrl url(text);
    if (!url.isValid())
        return out;
    out << url.password(QUrl::FullyDecoded) << url.password(QUrl::FullyEncoded);
    const QUrlQuery query(url);
    for (const auto &item : query.queryItems(QUrl::FullyDecoded))
        if (isSecretParameter(item.first))
            out << item.second << query.queryItemValue(item.first, QUrl::FullyEncoded);
    out.removeAll(QString());
    out.removeDuplicates();
    return out;
}

QStringList of(const Config &config)
{
    QStringList out;
    for (const ConfigKey *key : secretKeys()) {
        const ConfigKey &k = *key;
        if (!k.text)
            continue;
        const QString &value = k.text(config);
        if (k.secrecy == Secrecy::Url)
            out << ofUrl(value);
        else if (!value.isEmpty())
            out << value;
    }
    out.removeDuplicates();
    return out;
}

QString scrub(QString text, const QStringList &secrets)
{
    QStringList longestFirst = secrets;
    std::sort(longestFirst.begin(), longestFirst.end(),
              [](const QString &a, const QString &b) { return a.size() > b.size(); });
    for (const QString &s : std::as_const(longestFirst))
        if (s.size() >= 3)
            text.replace(s, mask());
    return text;
}

QString maskToml(const QString &toml)
{
    std::vector<Span> spans;
    QString out = toml;
    if (secretSpans(toml, spans)) {
        for (const Span &s : spans)
            out.replace(s.from, s.to - s.from, TomlReader::quote(maskedValue(s)));
        return out;
    }
    // Unparsable: blank every line that assigns a secret key, whatever section it stands in.
    QStringList names;
    for (const ConfigKey *k : secretKeys())
        names << QRegularExpression::escape(QLatin1String(k->key.data(), qsizetype(k->key.size())));
    names.removeDuplicates();
    const QRegularExpression line(QStringLiteral("^(\\s*\"?(?:%1)\"?\\s*=\\s*)(.*)$").arg(names.join(u'|')),
                                  QRegularExpression::MultilineOption);
    out.replace(line, QStringLiteral("\\1\"") + mask() + u'"');
    return out;
}

QString restoreToml(const QString &edited, const QString &original)
{
    std::vector<Span> now;
    std::vector<Span> was;
    if (!secretSpans(edited, now))
        return edited;  // does not validate anyway: nothing is saved
    (void)secretSpans(original, was);
    QString out = edited;
    for (const Span &s : now) {
        const auto old = std::find_if(was.begin(), was.end(), [&s](const Span &w) { return w.key == s.key; });
        QString replacement;
        if (s.key->secrecy == Secrecy::Value && s.value == fromEnvironment()) {
            replacement = QStringLiteral("\"\"");  // the environment keeps supplying it
        } else if (old == was.end()) {
            continue;
        } else if (s.value == maskedValue(*old)) {
            replacement = original.mid(old->from, old->to - old->from);  // untouched: the stored text, verbatim
        } else if (s.key->secrecy == Secrecy::Url) {
            const QString restored = restoreUrl(s.value, old->value);
            if (restored == s.value)
                continue;
            replacement = TomlReader::quote(restored);
        } else {
            continue;  // typed by the user
        }
        out.replace(s.from, s.to - s.from, replacement);
    }
    return out;
}

QStringList stillMasked(const QString &toml)
{
    std::vector<Span> spans;
    QStringList out;
    (void)secretSpans(toml, spans);
    for (const Span &s : spans) {
        const bool masked = s.key->secrecy == Secrecy::Url ? s.value.contains(mask()) : s.value == mask();
        if (masked)
            out.prepend(s.key->name());
    }
    return out;
}

} // namespace iot::Secrets
