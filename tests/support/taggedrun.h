// SPDX-License-Identifier: MIT
#pragma once

#include "readingsprobe.h"
#include "subscriberprocess.h"
#include "testenv.h"

#include <QString>
#include <QTemporaryDir>

namespace iot::test {

/// One integration test's subscriber against a fresh PostgreSQL database of its own named `tag`: a scratch
/// directory under the servers' tmp, the setup (topic "tag/#", client id `tag`; adjust before start()), a probe of
/// the database, and the process, not yet started. The set-up most integration tests begin with, written once.
struct TaggedRun
{
    TaggedRun(const Servers &servers, const QString &tag);
    Q_DISABLE_COPY_MOVE(TaggedRun)

    /// Starts the subscriber with `setup` and waits until it has subscribed (and, with `waitForDatabase`, until the
    /// database is ready first). False when it did not get there in 15 s: the log says why.
    bool start(bool waitForDatabase = false);

    const Servers &servers;
    const QString tag;
    QTemporaryDir dir;
    SubscriberSetup setup;
    ReadingsProbe probe;
    SubscriberProcess sub;
};

} // namespace iot::test
