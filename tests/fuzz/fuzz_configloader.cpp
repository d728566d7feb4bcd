// SPDX-License-Identifier: MIT
// libFuzzer target: config.toml is trusted (it is the operator's file), but a typo, a half-saved file or a wrong
// file passed with --config must still give one FILE:LINE:COLUMN error, never a crash or a hang. What loads must
// survive the round trip the settings editor and --check-config rely on: toToml() of the loaded config loads again
// to the same toToml().
#include "config/configloader.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace iot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const QProcessEnvironment noEnv;  // no IOT_* overrides: the file alone decides
    const QByteArray toml(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const auto first = ConfigLoader::loadString(toml, QStringLiteral("fuzz.toml"), noEnv);
    if (!first) {
        const QString message = first.error().message;
        if (!message.contains(QStringLiteral("fuzz.toml")))
            std::abort();  // every refusal names the file (and, from the TOML parser, line and column)
        return 0;
    }
    const QString once = ConfigLoader::toToml(first.value(), false);
    // Same source name: the header line of toToml() names it.
    const auto second = ConfigLoader::loadString(once.toUtf8(), QStringLiteral("fuzz.toml"), noEnv);
    if (!second)
        std::abort();  // what we print must load
    const QString twice = ConfigLoader::toToml(second.value(), false);
    if (twice != once) {
        std::fprintf(stderr, "--- first toToml:\n%s\n--- second:\n%s\n", qPrintable(once), qPrintable(twice));
        std::abort();  // and mean the same
    }
    return 0;
}
