// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

namespace iot {

/// A number inside a JSON payload, by its path ("temperature", "values.0", "meta.battery").
struct NumericField
{
    QString path;
    double value = 0;
};

/// Payload text for people: a one-line preview for the topic tree, a pretty-printed view, and the numeric fields an
/// operator may plot. Pure functions, GUI thread; payloads that are not JSON or not UTF-8 are said to be so.
class JsonText final
{
public:
    /// `humidity: 40.2, room: lab-1, temperature: 21.5, …` for a JSON object (keys sorted, as QJsonObject keeps them);
    /// the text itself, shortened, otherwise.
    static QString preview(const QByteArray &payload, int maxChars = 80);
    /// Indented JSON, or the text as it is, or a hex dump head for binary payloads.
    static QString pretty(const QByteArray &payload);
    static bool isJson(const QByteArray &payload);
    /// Every number in the payload (nested objects and arrays included, at most `limit`), keys in sorted order.
    static QList<NumericField> numericFields(const QByteArray &payload, int limit = 200);
    static std::optional<double> numberAt(const QByteArray &payload, const QString &path);
    static bool isUtf8(const QByteArray &bytes);
};

} // namespace iot
