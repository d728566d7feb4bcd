// SPDX-License-Identifier: MIT
#pragma once
// main() of a window test that keeps instances and tokens: settings and the token file in a throw-away place, no
// credential store (no session bus, so TokenStore takes its 0600 file), offscreen unless a platform is set.
#include <QApplication>
#include <QTemporaryDir>
#include <QTest>

namespace iot::test {

template <typename Test>
int runIsolatedGuiTest(int argc, char *argv[], const QString &applicationName)
{
    QTemporaryDir home;
    qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toLocal8Bit());
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    qunsetenv("IOT_TOKEN_STORE");
    if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(applicationName);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber"));
    Test test;
    return QTest::qExec(&test, argc, argv);
}

} // namespace iot::test
