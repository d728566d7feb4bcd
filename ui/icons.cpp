// SPDX-License-Identifier: MIT
#include "icons.h"

namespace iot {
namespace {

QIcon resource(const char *name)
{
    return QIcon(QStringLiteral(":/icons/") + QLatin1String(name) + QStringLiteral(".svg"));
}

QIcon themed(const char *themeName, const char *fallback)
{
    return QIcon::fromTheme(QLatin1String(themeName), resource(fallback));
}

} // namespace

QIcon Icons::app()
{
    return resource("app");
}

QIcon Icons::state(StatusLevel level)
{
    switch (level) {
    case StatusLevel::Ok: return resource("state-ok");
    case StatusLevel::Busy: return resource("state-busy");
    case StatusLevel::Warning: return resource("state-retry");
    case StatusLevel::Error: return resource("state-error");
    case StatusLevel::Paused: return resource("state-paused");
    case StatusLevel::Off: break;
    }
    return resource("state-off");
}

QString Icons::stateName(StatusLevel level)
{
    switch (level) {
    case StatusLevel::Ok: return QStringLiteral("OK");
    case StatusLevel::Busy: return QStringLiteral("in progress");
    case StatusLevel::Warning: return QStringLiteral("warning");
    case StatusLevel::Error: return QStringLiteral("error");
    case StatusLevel::Paused: return QStringLiteral("paused");
    case StatusLevel::Off: break;
    }
    return QStringLiteral("stopped");
}

QIcon Icons::stale()
{
    return resource("stale");
}

QIcon Icons::pause()
{
    return themed("media-playback-pause", "action-pause");
}

QIcon Icons::resume()
{
    return themed("media-playback-start", "action-resume");
}

QIcon Icons::reconnect()
{
    return themed("view-refresh", "action-reconnect");
}

QIcon Icons::settings()
{
    return themed("preferences-system", "action-settings");
}

QIcon Icons::freezeCharts()
{
    return resource("action-freeze");
}

} // namespace iot
