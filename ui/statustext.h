// SPDX-License-Identifier: MIT
#pragma once

#include "enginesnapshot.h"

#include <QString>

namespace iot {

/// How bad a state is; picks the icon (never the only cue: every state also has words).
enum class StatusLevel { Ok, Busy, Warning, Error, Off, Paused };

/// A state put into words for the operator, with the level that picks its icon.
struct StatusView
{
    StatusLevel level = StatusLevel::Off;
    QString words;     // "Connected to 127.0.0.1:1883 since 10:21:05"
    QString tooltip;   // longer detail, when there is any
};

/// Turns engine snapshots into the words the window shows: states with since / attempt / next try (formatted from the
/// snapshot's state fields, never parsed from text), counts with digit grouping, durations and clock times. Pure
/// functions, called on the GUI thread.
class StatusText final
{
public:
    /// `running`: false once the engine has stopped (then both sides read "Stopped").
    static StatusView mqtt(const EngineSnapshot &s, qint64 nowUs, bool running);
    static StatusView database(const EngineSnapshot &s, qint64 nowUs, bool running);
    /// "Reading", "Paused by operator ...", "Paused: buffer full ...", "Paused: spool disk full ...".
    static StatusView reading(const EngineSnapshot &s, bool running);
    /// The worst of the states above: what the tray icon shows.
    static StatusLevel overall(const EngineSnapshot &s, bool running);

    /// "spool disk full", "spool write error", "spool sync failed"; empty for Ok.
    static QString spoolTrouble(SpoolState state);

    static QString count(quint64 n);                  // "12,345" (the locale's grouping)
    static QString rate(double perSec);               // "1,234/s", "0.5/s"
    static QString duration(qint64 us);               // "850 ms", "4.2 s", "3 min 12 s", "2 h 05 min", "3 d 4 h"
    static QString clock(qint64 epochUs);             // "10:21:05" today, "2024-05-01 10:21:05" otherwise
    static QString clockMs(qint64 epochUs);           // "10:21:05.123"
    static QString ago(qint64 epochUs, qint64 nowUs); // "10:21:05 (4 s ago)"
    static QString uptime(qint64 us);                 // "1 d 02:03:04" / "02:03:04"
};

} // namespace iot
