// SPDX-License-Identifier: MIT
// The exit code of both front ends, from how the run ended, and of `export` (app/exitcode.*).
#include "exitcode.h"

#include <QTest>

using namespace iot;

class TstExitCode final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void exitCode_data();
    void exitCode();
    void exportExitCode_data();
    void exportExitCode();
};

void TstExitCode::exitCode_data()
{
    QTest::addColumn<RunOutcome::Ending>("ending");
    QTest::addColumn<quint64>("unwritten");
    QTest::addColumn<int>("expected");
    QTest::newRow("stopped, all committed") << RunOutcome::Ending::Stopped << quint64(0) << 0;
    QTest::newRow("stopped, some left in the spool") << RunOutcome::Ending::Stopped << quint64(17) << 1;
    QTest::newRow("could not start") << RunOutcome::Ending::StartFailed << quint64(0) << 1;
    QTest::newRow("fatal: configuration") << RunOutcome::Ending::Fatal << quint64(0) << 2;
    QTest::newRow("fatal wins over unwritten") << RunOutcome::Ending::Fatal << quint64(5) << 2;
}

void TstExitCode::exitCode()
{
    QFETCH(RunOutcome::Ending, ending);
    QFETCH(quint64, unwritten);
    QFETCH(int, expected);
    QCOMPARE(static_cast<int>(exitCodeFor({ending, unwritten})), expected);
}

void TstExitCode::exportExitCode_data()
{
    using E = ExportOutcome::Ending;
    QTest::addColumn<int>("ending");
    QTest::addColumn<int>("expected");
    QTest::newRow("done") << int(E::Done) << 0;
    QTest::newRow("bad request") << int(E::BadRequest) << 2;
    QTest::newRow("database") << int(E::DatabaseFailed) << 1;
    QTest::newRow("output") << int(E::OutputFailed) << 1;
    QTest::newRow("cancelled") << int(E::Cancelled) << 1;
}

void TstExitCode::exportExitCode()
{
    QFETCH(int, ending);
    QFETCH(int, expected);
    QCOMPARE(static_cast<int>(exitCodeFor(ExportOutcome{static_cast<ExportOutcome::Ending>(ending), 0, {}})), expected);
}

QTEST_APPLESS_MAIN(TstExitCode)
#include "tst_exitcode.moc"
