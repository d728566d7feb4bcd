// SPDX-License-Identifier: MIT
#pragma once

#include "alerts/alertevaluator.h"
#include "config/config.h"

#include <QList>
#include <QString>

namespace iot {

/// The alerts' fires and resolves kept across restarts: one JSON object per line in `alert-history.jsonl` in the
/// spool directory. A file there, not a table: alerts matter most while the database is down (db_not_writing), the
/// spool directory is writable then and is this instance's alone (its LOCK), and the window reads the file at start
/// without a database connection. Written by AlertEngine (main thread) per event, read by the window at start; the
/// file is cut back to the last `keep` events when it has twice as many. Without a spool, nothing is kept.
namespace AlertHistory {

constexpr int DefaultKeep = 1000;

/// `<spool.dir>/alert-history.jsonl`, or empty when the spool is off.
QString pathFor(const Config &config);
/// Appends one event (the file is created 0600); false with `error` set when it cannot be written.
bool append(const QString &path, const AlertEvent &event, QString *error = nullptr);
/// The last `last` events, oldest first; lines that do not read as an event (a torn last line) are skipped.
QList<AlertEvent> load(const QString &path, int last);
/// Rewrites the file with its last `keep` events when it holds more than 2 × `keep` (atomically).
void trim(const QString &path, int keep = DefaultKeep);

} // namespace AlertHistory
} // namespace iot
