// SPDX-License-Identifier: MIT
#pragma once

#include "statustext.h"

#include <QIcon>

namespace iot {

/// The monitor's icons, drawn as SVG in resources/icons (scales on high-DPI screens); actions prefer the desktop
/// theme's icon where it has one. Used on the GUI thread.
class Icons final
{
public:
    static QIcon app();
    static QIcon state(StatusLevel level);
    static QIcon stale();
    static QIcon pause();
    static QIcon resume();
    static QIcon reconnect();
    static QIcon settings();
    static QIcon freezeCharts();
    /// Words for screen readers and tooltips, matching state().
    static QString stateName(StatusLevel level);
};

} // namespace iot
