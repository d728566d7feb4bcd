// SPDX-License-Identifier: MIT
#include "export/fieldextractor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <charconv>

namespace iot {

FieldExtractor::FieldExtractor(QString name, const QString &pointer)
    : m_name(std::move(name)), m_pointer(pointer), m_resolver(pointer)
{
}

QByteArrayView FieldExtractor::extract(QByteArrayView payload)
{
    QByteArrayView value;
    switch (m_resolver.resolve(payload, value)) {
    case JsonPointer::Result::Missing:
        return {};
    case JsonPointer::Result::Unsure:
        return reference(payload);
    case JsonPointer::Result::Found:
        break;
    }
    if (value == "null")
        return {};
    if (value.startsWith('"'))
        return value.contains('\\') ? unescaped(value) : value.sliced(1, value.size() - 2);
    return value;  // a number, true/false, an object or array: its own text
}

QByteArrayView FieldExtractor::unescaped(QByteArrayView quoted)
{
    // The one exact JSON string decoder at hand; only strings with escapes come here.
    const QByteArray wrapped = '[' + quoted.toByteArray() + ']';
    m_scratch = QJsonDocument::fromJson(wrapped).array().at(0).toString().toUtf8();
    return m_scratch;
}

QByteArrayView FieldExtractor::reference(QByteArrayView payload)
{
    // The same walk as JsonPointer's, on a parsed document: escaped and repeated keys are what sent us here.
    QJsonValue v;
    {
        const QJsonDocument doc = QJsonDocument::fromJson(payload.toByteArray());
        v = doc.isObject() ? QJsonValue(doc.object()) : doc.isArray() ? QJsonValue(doc.array()) : QJsonValue();
    }
    if (!m_pointer.isEmpty()) {
        const QStringList tokens = m_pointer.mid(1).split(QLatin1Char('/'));
        for (QString t : tokens) {
            t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
            if (v.isObject()) {
                const QJsonObject o = v.toObject();
                if (!o.contains(t))
                    return {};
                v = o.value(t);
            } else if (v.isArray()) {
                bool ok = false;
                const int i = t.toInt(&ok);
                const QJsonArray a = v.toArray();
                if (!ok || i < 0 || i >= a.size() || (t.size() > 1 && t.startsWith(QLatin1Char('0'))))
                    return {};
                v = a.at(i);
            } else {
                return {};
            }
        }
    }
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Bool:
        return v.toBool() ? QByteArrayView("true") : QByteArrayView("false");
    case QJsonValue::Double: {
        // Qt keeps no number text: the shortest text that reads back as the same double.
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v.toDouble());
        m_scratch = QByteArray(buf, r.ptr - buf);
        return m_scratch;
    }
    case QJsonValue::String:
        m_scratch = v.toString().toUtf8();
        return m_scratch;
    case QJsonValue::Array:
        m_scratch = QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
        return m_scratch;
    case QJsonValue::Object:
        m_scratch = QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
        return m_scratch;
    }
    return {};
}

} // namespace iot
