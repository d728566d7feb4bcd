// SPDX-License-Identifier: MIT
#include "jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QStringDecoder>

namespace iot {
namespace {

QString scalarText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: return QString::number(v.toDouble(), 'g', 10);
    case QJsonValue::String: return v.toString();
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Array: return QStringLiteral("[%1 items]").arg(v.toArray().size());
    case QJsonValue::Object: return QStringLiteral("{…}");
    case QJsonValue::Undefined: break;
    }
    return {};
}

QString cut(const QString &text, int maxChars)
{
    if (text.size() <= maxChars)
        return text;
    return text.left(std::max(1, maxChars - 1)) + QStringLiteral("…");
}

void collect(const QJsonValue &v, const QString &path, QList<NumericField> &out, int limit)
{
    if (out.size() >= limit)
        return;
    if (v.isDouble()) {
        out.append({path, v.toDouble()});
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            collect(it.value(), path.isEmpty() ? it.key() : path + QLatin1Char('.') + it.key(), out, limit);
    } else if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            collect(a.at(i), path.isEmpty() ? QString::number(i) : path + QLatin1Char('.') + QString::number(i), out,
                    limit);
    }
}

QJsonValue rootValue(const QByteArray &payload, bool *ok)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(payload, &error);
    *ok = error.error == QJsonParseError::NoError;
    if (!*ok)
        return {};
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
}

} // namespace

bool JsonText::isUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(bytes);
    return !decoder.hasError();
}

bool JsonText::isJson(const QByteArray &payload)
{
    bool ok = false;
    rootValue(payload, &ok);
    return ok;
}

QString JsonText::preview(const QByteArray &payload, int maxChars)
{
    if (payload.isEmpty())
        return QStringLiteral("(empty)");
    if (!isUtf8(payload))
        return QStringLiteral("(binary, %1 bytes)").arg(payload.size());
    bool ok = false;
    const QJsonValue root = rootValue(payload, &ok);
    if (ok && root.isObject()) {
        const QJsonObject o = root.toObject();
        QString text;
        for (auto it = o.begin(); it != o.end() && text.size() < maxChars; ++it) {
            if (!text.isEmpty())
                text += QStringLiteral(", ");
            text += it.key() + QStringLiteral(": ") + scalarText(it.value());
        }
        return cut(text, maxChars);
    }
    return cut(QString::fromUtf8(payload).simplified(), maxChars);
}

QString JsonText::pretty(const QByteArray &payload)
{
    if (payload.isEmpty())
        return {};
    if (!isUtf8(payload)) {
        const QByteArray head = payload.left(256);
        return QStringLiteral("Binary payload (%1 bytes); first %2 bytes in hex:\n%3")
            .arg(payload.size())
            .arg(head.size())
            .arg(QString::fromLatin1(head.toHex(' ')));
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(payload, &error);
    if (error.error != QJsonParseError::NoError)
        return QString::fromUtf8(payload);
    return QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
}

QList<NumericField> JsonText::numericFields(const QByteArray &payload, int limit)
{
    QList<NumericField> out;
    bool ok = false;
    const QJsonValue root = rootValue(payload, &ok);
    if (ok)
        collect(root, QString(), out, limit);
    return out;
}

std::optional<double> JsonText::numberAt(const QByteArray &payload, const QString &path)
{
    bool ok = false;
    QJsonValue v = rootValue(payload, &ok);
    if (!ok)
        return std::nullopt;
    for (const QString &part : path.split(QLatin1Char('.'))) {
        if (v.isObject()) {
            v = v.toObject().value(part);
        } else if (v.isArray()) {
            bool isIndex = false;
            const int i = part.toInt(&isIndex);
            if (!isIndex)
                return std::nullopt;
            v = v.toArray().at(i);
        } else {
            return std::nullopt;
        }
    }
    if (!v.isDouble())
        return std::nullopt;
    return v.toDouble();
}

} // namespace iot
