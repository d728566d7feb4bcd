// SPDX-License-Identifier: MIT
#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>
#include <span>
#include <string_view>

#include <toml++/toml.h>

namespace iot {

/// Parses one TOML document and reads typed, range-checked values out of it, recording every problem as
/// `FILE:LINE:COLUMN: KEY: MESSAGE`; private to iot_config, used on whichever thread loads a configuration.
class TomlReader final
{
public:
    explicit TomlReader(QString sourceName);

    // False after a syntax error (recorded); toml++ exceptions never leave this function.
    bool parse(const QByteArray &toml);
    const toml::table &root() const { return m_root; }

    bool failed() const { return !m_problems.isEmpty(); }
    // The problem that comes first in the document, so the report does not depend on toml++'s key order.
    Error error() const;

    void fail(const toml::source_region &where, const QString &key, const QString &message);

    // Reports every key of `table` that is not in `known`, suggesting a close known key.
    void rejectUnknownKeys(const toml::table &table, const QString &prefix, std::span<const std::string_view> known);

    // Typed readers: std::nullopt when the key is absent or invalid (then a problem is recorded).
    // `secret` keeps the offending value out of the message, which may end up in logs.
    const toml::table *table(const toml::table &parent, const QString &prefix, std::string_view key);
    std::optional<QString> string(const toml::table &t, const QString &prefix, std::string_view key,
                                  bool nonEmpty = false, bool secret = false);
    std::optional<bool> boolean(const toml::table &t, const QString &prefix, std::string_view key);
    std::optional<qint64> integer(const toml::table &t, const QString &prefix, std::string_view key,
                                  qint64 min, qint64 max, const QString &expectation);
    // Accepts integers and floats; `min` is exclusive when `minExclusive`.
    std::optional<double> number(const toml::table &t, const QString &prefix, std::string_view key,
                                 double min, bool minExclusive, double max, const QString &expectation);

    void failExpected(const toml::node &node, const QString &key, const QString &expectation, bool secret = false);

    static QString keyPath(const QString &prefix, std::string_view key);
    // A value in TOML notation for messages, shortened when long.
    static QString render(const toml::node &node);
    static QString typeName(const toml::node &node);
    // Writers for configuration printed back as TOML.
    static QString quote(const QString &text);
    static QString formatNumber(double value);

private:
    struct Problem
    {
        quint32 line = 0;
        quint32 column = 0;
        QString text;
    };

    QString m_sourceName;
    toml::table m_root;
    QList<Problem> m_problems;
};

} // namespace iot
