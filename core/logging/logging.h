// SPDX-License-Identifier: MIT
#pragma once

#include "config/logconfig.h"
#include "util/result.h"

#include <QStringList>

namespace iot {

/// Applies a LogConfig to the process: console/rotating-file sinks, text or JSON lines, levels, and Qt's own
/// messages routed into the logger "qt"; call from the main thread, loggers may then be used from any thread.
class Logging final
{
public:
    // Replaces the sinks of every logger, including those fetched earlier. Fails (and keeps the console, if asked
    // for) when the log file cannot be opened.
    static Status install(const LogConfig &config);
    // Text to stderr at level info: what runs before logger.toml is read, and in tests.
    static void installDefault();
    // From now on every message has these strings (Secrets::of(config)) replaced by "********", whatever logs it.
    static void setSecrets(const QStringList &secrets);
    // Writes out what the sinks buffer (done on every warning and once a second anyway).
    static void flush();
};

} // namespace iot
