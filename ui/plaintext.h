// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

class QLabel;

namespace iot {

/// Text from the network — topics, payloads, field names, a broker's or database's message — shown as what it is:
/// Qt renders labels and tooltips that merely look like HTML (`<b>x</b><img src=...>`) as rich text. Labels that
/// can hold such text are made Qt::PlainText; tooltips, which have no format of their own, are escaped here.
/// GUI thread, like the widgets.
namespace PlainText {

/// A tooltip that shows `text` literally, its line breaks kept.
QString toolTip(const QString &text);
/// Makes `label` render its text literally; returns it.
QLabel *label(QLabel *label);

} // namespace PlainText
} // namespace iot
