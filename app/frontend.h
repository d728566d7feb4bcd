// SPDX-License-Identifier: MIT
#pragma once

namespace iot {

struct Config;

/// Runs the engine under one front end until it ends, and returns the process's exit code: the wiring of engine,
/// observability, Unix signals and the headless service or the desktop window, shared by both. Call on the main
/// thread with the application object (QApplication for the desktop) and logging set up.
namespace FrontEnd {
int run(const Config &config, bool desktop);
/// The window without a local engine (--monitor-only): no engine, no observability port; needs a QApplication.
int runMonitorOnly();
}

} // namespace iot
