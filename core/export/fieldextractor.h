// SPDX-License-Identifier: MIT
#pragma once

#include "mapping/jsonpointer.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace iot {

/// One `--field NAME=POINTER` of an export: the value at an RFC 6901 pointer in a stored payload, as CSV text —
/// a string unescaped, a number, true or false as written, an object or array as its JSON text, null or a missing
/// value as an empty field. Resolves on the bytes (JsonPointer) and takes QJsonDocument only where that is unsure
/// (escaped keys, repeated keys). Any thread; one per column.
class FieldExtractor final
{
public:
    FieldExtractor(QString name, const QString &pointer);

    const QString &name() const { return m_name; }
    const QString &pointer() const { return m_pointer; }
    /// The value's text for `payload` (valid JSON: the writer stored only what PayloadCheck accepted). The view
    /// points into `payload` or into this extractor's scratch buffer, valid until the next call.
    QByteArrayView extract(QByteArrayView payload);

private:
    QByteArrayView reference(QByteArrayView payload);
    QByteArrayView unescaped(QByteArrayView quoted);

    QString m_name;
    QString m_pointer;
    JsonPointer m_resolver;
    QByteArray m_scratch;
};

} // namespace iot
