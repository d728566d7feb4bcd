// SPDX-License-Identifier: MIT
#include "plaintext.h"

#include <QLabel>

namespace iot::PlainText {

QString toolTip(const QString &text)
{
    if (text.isEmpty())
        return text;
    // A leading tag makes Qt take it as rich text in which the escaped text can only read literally.
    return QStringLiteral("<p style=\"white-space:pre-wrap\">") + text.toHtmlEscaped() + QStringLiteral("</p>");
}

QLabel *label(QLabel *label)
{
    label->setTextFormat(Qt::PlainText);
    return label;
}

} // namespace iot::PlainText
