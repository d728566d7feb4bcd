// SPDX-License-Identifier: MIT
#pragma once

#include "history/historyrequest.h"

class QIODevice;

namespace iot {

/// What a history plot shows, as RFC 4180 CSV (core/export's CsvWriter): a header
/// `bucket_start,bucket_end,topic,min,mean,max,count`, then one record per bucket, topics in turn, ISO-8601 UTC
/// times, numbers in the shortest text that reads back exactly. Pure; any thread.
namespace HistoryCsv {
/// False when the device refused a write.
bool write(const HistoryResult &result, QIODevice *out);
}

} // namespace iot
