// SPDX-License-Identifier: MIT
// What a failed write concerns, from the database's error code: retry the connection, split for the rows, or retry
// a few times and then split. The writer's bisection builds on this table (docs/architecture.md, "Failure model").
#include "storage/failureclass.h"

#include <QTest>

#include <sqlite3.h>

using namespace iot;

class TstFailureClass final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sqlState_data();
    void sqlState();
    void sqliteCode_data();
    void sqliteCode();
    void sqliteCodeName();
};

void TstFailureClass::sqlState_data()
{
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<int>("expected");
    const int connection = int(FailureClass::Connection), rows = int(FailureClass::Rows),
              unknown = int(FailureClass::Unknown);
    QTest::newRow("no code (connection lost)") << QByteArray() << connection;
    QTest::newRow("malformed") << QByteArrayLiteral("08") << connection;
    QTest::newRow("08006 connection failure") << QByteArrayLiteral("08006") << connection;
    QTest::newRow("08P01 protocol violation") << QByteArrayLiteral("08P01") << connection;
    QTest::newRow("53100 disk full") << QByteArrayLiteral("53100") << connection;
    QTest::newRow("53200 out of memory") << QByteArrayLiteral("53200") << connection;
    QTest::newRow("53300 too many connections") << QByteArrayLiteral("53300") << connection;
    QTest::newRow("57014 query canceled") << QByteArrayLiteral("57014") << connection;
    QTest::newRow("57P01 admin shutdown") << QByteArrayLiteral("57P01") << connection;
    QTest::newRow("57P03 cannot connect now") << QByteArrayLiteral("57P03") << connection;
    QTest::newRow("58030 io error") << QByteArrayLiteral("58030") << connection;
    QTest::newRow("40001 serialization failure") << QByteArrayLiteral("40001") << connection;
    QTest::newRow("40P01 deadlock") << QByteArrayLiteral("40P01") << connection;
    QTest::newRow("55P03 lock not available") << QByteArrayLiteral("55P03") << connection;
    QTest::newRow("55006 object in use") << QByteArrayLiteral("55006") << connection;
    QTest::newRow("25P02 in failed transaction") << QByteArrayLiteral("25P02") << connection;
    QTest::newRow("25P03 idle session timeout") << QByteArrayLiteral("25P03") << connection;
    QTest::newRow("22001 string too long") << QByteArrayLiteral("22001") << rows;
    QTest::newRow("22021 bad encoding") << QByteArrayLiteral("22021") << rows;
    QTest::newRow("22P02 invalid text") << QByteArrayLiteral("22P02") << rows;
    QTest::newRow("23505 unique violation") << QByteArrayLiteral("23505") << rows;
    QTest::newRow("23514 check violation") << QByteArrayLiteral("23514") << rows;
    QTest::newRow("40002 deferred constraint") << QByteArrayLiteral("40002") << rows;
    QTest::newRow("54000 index row too big") << QByteArrayLiteral("54000") << rows;
    QTest::newRow("P0001 raise exception") << QByteArrayLiteral("P0001") << rows;
    QTest::newRow("42P01 undefined table") << QByteArrayLiteral("42P01") << unknown;
    QTest::newRow("42501 permission denied") << QByteArrayLiteral("42501") << unknown;
    QTest::newRow("42703 undefined column") << QByteArrayLiteral("42703") << unknown;
    QTest::newRow("25001 active transaction") << QByteArrayLiteral("25001") << unknown;
    QTest::newRow("55000 not in prerequisite state") << QByteArrayLiteral("55000") << unknown;
    QTest::newRow("0A000 not supported") << QByteArrayLiteral("0A000") << unknown;
    QTest::newRow("XX000 internal error") << QByteArrayLiteral("XX000") << unknown;
    QTest::newRow("XX002 index corrupted") << QByteArrayLiteral("XX002") << unknown;
}

void TstFailureClass::sqlState()
{
    QFETCH(QByteArray, code);
    QFETCH(int, expected);
    QCOMPARE(int(FailureClasses::fromSqlState(std::string_view(code.constData(), std::size_t(code.size())))),
             expected);
}

void TstFailureClass::sqliteCode_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("expected");
    const int connection = int(FailureClass::Connection), rows = int(FailureClass::Rows),
              unknown = int(FailureClass::Unknown);
    QTest::newRow("constraint") << SQLITE_CONSTRAINT << rows;
    QTest::newRow("constraint unique (extended)") << SQLITE_CONSTRAINT_UNIQUE << rows;
    QTest::newRow("constraint trigger (RAISE)") << SQLITE_CONSTRAINT_TRIGGER << rows;
    QTest::newRow("too big") << SQLITE_TOOBIG << rows;
    QTest::newRow("mismatch") << SQLITE_MISMATCH << rows;
    QTest::newRow("busy") << SQLITE_BUSY << connection;
    QTest::newRow("busy snapshot (extended)") << SQLITE_BUSY_SNAPSHOT << connection;
    QTest::newRow("locked") << SQLITE_LOCKED << connection;
    QTest::newRow("ioerr write") << SQLITE_IOERR_WRITE << connection;
    QTest::newRow("full") << SQLITE_FULL << connection;
    QTest::newRow("error (no such table)") << SQLITE_ERROR << unknown;
    QTest::newRow("readonly") << SQLITE_READONLY << unknown;
    QTest::newRow("corrupt") << SQLITE_CORRUPT << unknown;
}

void TstFailureClass::sqliteCode()
{
    QFETCH(int, code);
    QFETCH(int, expected);
    QCOMPARE(int(FailureClasses::fromSqliteCode(code)), expected);
}

void TstFailureClass::sqliteCodeName()
{
    QCOMPARE(FailureClasses::sqliteCodeName(SQLITE_CONSTRAINT_UNIQUE), QByteArrayLiteral("SQLITE_CONSTRAINT"));
    QCOMPARE(FailureClasses::sqliteCodeName(SQLITE_BUSY), QByteArrayLiteral("SQLITE_BUSY"));
}

QTEST_APPLESS_MAIN(TstFailureClass)
#include "tst_failureclass.moc"
