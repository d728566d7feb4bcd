// SPDX-License-Identifier: MIT
#include "observability/bearertoken.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;

/// The observability port's token: where it is read from, which Authorization values carry it, and the compare that
/// takes as long for a near miss as for a far one. Pure logic, one thread.
class TstBearerToken final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void constantTimeEquals_data();
    void constantTimeEquals();
    void accepts_data();
    void accepts();
    void fromFile();
    void fromValue();
};

void TstBearerToken::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::newRow("equal") << QByteArray("s3cr3t") << QByteArray("s3cr3t");
    QTest::newRow("first byte differs") << QByteArray("s3cr3t") << QByteArray("x3cr3t");
    QTest::newRow("last byte differs") << QByteArray("s3cr3t") << QByteArray("s3cr3x");
    QTest::newRow("prefix") << QByteArray("s3cr3t") << QByteArray("s3cr");
    QTest::newRow("longer") << QByteArray("s3cr3t") << QByteArray("s3cr3tt");
    QTest::newRow("empty given") << QByteArray("s3cr3t") << QByteArray();
    QTest::newRow("both empty") << QByteArray() << QByteArray();
    QTest::newRow("NUL padding is not equality") << QByteArray("ab") << QByteArray("ab\0", 3);
    QTest::newRow("high bit") << QByteArray("\x80") << QByteArray("\x00", 1);
}

void TstBearerToken::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QCOMPARE(BearerToken::constantTimeEquals(a, b), a == b);
    QCOMPARE(BearerToken::constantTimeEquals(b, a), a == b);
}

void TstBearerToken::accepts_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("right") << QByteArray("Bearer s3cr3t-token") << true;
    QTest::newRow("scheme in any case") << QByteArray("bEARER s3cr3t-token") << true;
    QTest::newRow("several spaces") << QByteArray("Bearer   s3cr3t-token") << true;
    QTest::newRow("wrong") << QByteArray("Bearer s3cr3t-tokeN") << false;
    QTest::newRow("prefix of the token") << QByteArray("Bearer s3cr3t") << false;
    QTest::newRow("token plus more") << QByteArray("Bearer s3cr3t-token2") << false;
    QTest::newRow("Basic") << QByteArray("Basic czNjcjN0LXRva2Vu") << false;
    QTest::newRow("no scheme") << QByteArray("s3cr3t-token") << false;
    QTest::newRow("scheme glued") << QByteArray("Bearers3cr3t-token") << false;
    QTest::newRow("scheme only") << QByteArray("Bearer") << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void TstBearerToken::accepts()
{
    QFETCH(QByteArray, authorization);
    QFETCH(bool, accepted);
    QCOMPARE(BearerToken(QByteArrayLiteral("s3cr3t-token")).accepts(authorization), accepted);
    // No token set: nothing is accepted (the endpoint treats that as "authentication off", not as "any token").
    QVERIFY(!BearerToken().accepts(authorization));
}

void TstBearerToken::fromFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto write = [&dir](const char *name, const QByteArray &data) {
        QFile f(dir.filePath(QLatin1String(name)));
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
            qFatal("cannot write %s", name);
        return f.fileName();
    };
    // The newline an editor or `echo` adds is not part of the token (Prometheus' credentials_file trims it too).
    const Result<BearerToken> t = BearerToken::fromFile(write("token", "  s3cr3t-token\n"));
    QVERIFY(t.ok());
    QVERIFY(t.value().accepts("Bearer s3cr3t-token"));
    QVERIFY(!BearerToken::fromFile(write("empty", "\n\n")).ok());
    QVERIFY(!BearerToken::fromFile(write("inner space", "two words\n")).ok());
    QVERIFY(!BearerToken::fromFile(write("huge", QByteArray(5000, 'a'))).ok());
    const Result<BearerToken> missing = BearerToken::fromFile(dir.filePath(QStringLiteral("nope")));
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().message.contains(QStringLiteral("nope")), qPrintable(missing.error().message));
}

void TstBearerToken::fromValue()
{
    QVERIFY(BearerToken::fromValue("abc", QStringLiteral("IOT_OBSERVABILITY_TOKEN")).ok());
    const Result<BearerToken> bad = BearerToken::fromValue("a\tb", QStringLiteral("IOT_OBSERVABILITY_TOKEN"));
    QVERIFY(!bad.ok());
    // The error names where the value came from, never the value.
    QVERIFY(bad.error().message.contains(QStringLiteral("IOT_OBSERVABILITY_TOKEN")));
    QVERIFY(!bad.error().message.contains(QStringLiteral("a\tb")));
}

QTEST_APPLESS_MAIN(TstBearerToken)
#include "tst_bearertoken.moc"
