// SPDX-License-Identifier: MIT
#include "taggedrun.h"

namespace iot::test {
namespace {

SubscriberSetup taggedSetup(const QString &tag)
{
    SubscriberSetup s;
    s.database = tag;
    s.topic = tag + QStringLiteral("/#");
    s.clientId = tag;
    return s;
}

} // namespace

TaggedRun::TaggedRun(const Servers &servers, const QString &tag)
    : servers(servers), tag(tag), dir(servers.tmp + QLatin1Char('/') + tag + QStringLiteral("-XXXXXX")),
      setup(taggedSetup(tag)), probe(ReadingsProbe::freshPostgres(servers, tag)),
      sub(dir.filePath(QStringLiteral("sub")))
{
}

bool TaggedRun::start(bool waitForDatabase)
{
    if (!sub.start(subscriberConfig(servers, setup)))
        return false;
    if (waitForDatabase && !sub.waitForLog(QStringLiteral("database ready"), 15000))
        return false;
    return sub.waitForLog(QStringLiteral("subscribed to"), 15000);
}

} // namespace iot::test
