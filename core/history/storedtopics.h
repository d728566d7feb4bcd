// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "util/result.h"

#include <QByteArray>
#include <QList>

#include <cstdint>

namespace iot {

/// One topic as the database has it: its latest stored reading and how many it stored since a time.
struct StoredTopic
{
    QByteArray topic;
    std::int64_t lastSeenUs = 0;   // receive time of the latest stored reading, µs since the epoch
    QByteArray lastPayload;        // its payload (JSON text)
    std::uint64_t count = 0;       // readings stored since `sinceUs`
};

/// The topics of the raw readings table that stored something since `sinceUs` (the window's topic tree at start,
/// before live data arrives): one aggregate query on a read-only connection of its own, narrowed by the time index.
/// Blocking: call it off the GUI thread.
namespace StoredTopics {
Result<QList<StoredTopic>> load(const Config &config, std::int64_t sinceUs);
}

} // namespace iot
