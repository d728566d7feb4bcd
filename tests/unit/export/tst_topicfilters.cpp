// SPDX-License-Identifier: MIT
// TopicFilters: the exact MQTT match, LIKE escaping, and the SQL prefix condition run on a real SQLite table —
// it must never lose a row the filter matches, and for filters without '+' it is exact.
#include "export/exportquery.h"
#include "export/topicfilters.h"

#include <QTest>

#include <sqlite3.h>

using namespace iot;

namespace {

const QStringList Topics{
    QStringLiteral("sensors"), QStringLiteral("sensors/"), QStringLiteral("sensors/a"), QStringLiteral("sensors/a/temp"),
    QStringLiteral("sensors/b/temp"), QStringLiteral("sensors/a/b/temp"), QStringLiteral("Sensors/a/temp"),
    QStringLiteral("sensorsX/a"), QStringLiteral("sensors//temp"), QStringLiteral("50%_x/a"), QStringLiteral("50abx/a"),
    QStringLiteral("50%_x"), QStringLiteral("a\\b/c"), QStringLiteral("a\\\\b/c"), QStringLiteral("$SYS/broker"),
    QStringLiteral("lab,1/\"probe\"/t"), QStringLiteral("line\nbreak/t"), QStringLiteral("k\u00fchl/raum"), QStringLiteral("/lead"),
};

} // namespace

class TstTopicFilters : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matches_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("topic");
        QTest::addColumn<bool>("match");
        const auto row = [](const char *f, const char *t, bool m) {
            QTest::addRow("%s ~ %s", f, t) << QString::fromUtf8(f) << QString::fromUtf8(t) << m;
        };
        row("sensors/a/temp", "sensors/a/temp", true);
        row("sensors/a/temp", "sensors/a/tem", false);
        row("sensors/+/temp", "sensors/a/temp", true);
        row("sensors/+/temp", "sensors//temp", true);  // + matches an empty level
        row("sensors/+/temp", "sensors/a/b/temp", false);
        row("sensors/+", "sensors", false);
        row("sensors/+", "sensors/", true);
        row("sensors/#", "sensors", true);  // # includes the parent level
        row("sensors/#", "sensors/a/b", true);
        row("sensors/#", "sensorsX/a", false);
        row("sensors/a/#", "sensors/b/temp", false);
        row("#", "anything/at/all", true);
        row("#", "$SYS/broker", false);
        row("+/broker", "$SYS/broker", false);
        row("$SYS/#", "$SYS/broker", true);
        row("+/+", "/lead", true);
        row("+", "/lead", false);
        row("Sensors/#", "sensors/a", false);
        row("+/+/#", "a", false);
        row("+/+/#", "a/b", true);
    }
    void matches()
    {
        QFETCH(QString, filter);
        QFETCH(QString, topic);
        QFETCH(bool, match);
        QCOMPARE(TopicFilters::matches(filter, topic), match);
    }

    void escapeLike()
    {
        QCOMPARE(TopicFilters::escapeLike(u"50%_x\\/"), QStringLiteral("50\\%\\_x\\\\/"));
        QCOMPARE(TopicFilters::escapeLike(u"plain/a"), QStringLiteral("plain/a"));
    }

    void sqlCondition_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QStringList>("params");
        const auto row = [](const char *name, const char *filter, const char *sql,
                            std::initializer_list<const char *> params) {
            QStringList p;
            for (const char *v : params)
                p << QString::fromUtf8(v);
            QTest::newRow(name) << QString::fromUtf8(filter) << QString::fromUtf8(sql) << p;
        };
        row("exact", "a/b", "topic = $3", {"a/b"});
        row("plus", "a/+/c", "topic LIKE $3 ESCAPE '\\'", {"a/%"});
        row("hash", "a/b/#", "(topic LIKE $3 ESCAPE '\\' OR topic = $4)", {"a/b/%", "a/b"});
        row("escaped", "50%_x/#", "(topic LIKE $3 ESCAPE '\\' OR topic = $4)", {"50\\%\\_x/%", "50%_x"});
        row("leading plus", "+/temp", "", {});
        row("hash alone", "#", "", {});
    }
    void sqlCondition()
    {
        QFETCH(QString, filter);
        QFETCH(QString, sql);
        QFETCH(QStringList, params);
        const auto c = TopicFilters::sqlCondition(filter, QStringLiteral("topic"), 2, ExportQuery::pgPlaceholder);
        QCOMPARE(c.sql, sql);
        QCOMPARE(c.params, params);
    }

    // The condition as SQLite runs it (case-sensitive LIKE, as SqliteExportSource sets it) over awkward topics.
    void sqlNeverLosesAMatch_data()
    {
        QTest::addColumn<QString>("filter");
        for (const char *f : {"sensors/#", "sensors/+/temp", "sensors/+", "50%_x/#", "50%_x/+", "a\\b/#", "a\\\\b/+",
                              "sensors/a/#", "$SYS/#", "lab,1/\"probe\"/#", "line\nbreak/+", "k\u00fchl/#", "sensors"})
            QTest::newRow(f) << QString::fromUtf8(f);
    }
    void sqlNeverLosesAMatch()
    {
        QFETCH(QString, filter);
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(":memory:", &db), SQLITE_OK);
        const auto cleanup = qScopeGuard([db] { sqlite3_close(db); });
        QCOMPARE(sqlite3_exec(db, "PRAGMA case_sensitive_like = ON; CREATE TABLE t (topic TEXT)", nullptr, nullptr,
                              nullptr), SQLITE_OK);
        sqlite3_stmt *ins = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1)", -1, &ins, nullptr);
        for (const QString &t : Topics) {
            const QByteArray b = t.toUtf8();
            sqlite3_bind_text(ins, 1, b.constData(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
            QCOMPARE(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);

        const auto c = TopicFilters::sqlCondition(filter, QStringLiteral("topic"), 0, ExportQuery::sqlitePlaceholder);
        QVERIFY(!c.sql.isEmpty());
        sqlite3_stmt *sel = nullptr;
        const QByteArray sql = "SELECT topic FROM t WHERE " + c.sql.toUtf8();
        QCOMPARE(sqlite3_prepare_v2(db, sql.constData(), -1, &sel, nullptr), SQLITE_OK);
        for (int i = 0; i < c.params.size(); ++i) {
            const QByteArray b = c.params[i].toUtf8();
            sqlite3_bind_text(sel, i + 1, b.constData(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
        }
        QStringList fromSql;
        while (sqlite3_step(sel) == SQLITE_ROW)
            fromSql << QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(sel, 0)));
        sqlite3_finalize(sel);

        QStringList exact;
        for (const QString &t : Topics)
            if (TopicFilters::matches(filter, t))
                exact << t;
        QVERIFY2(!exact.isEmpty(), "the topic list should hold a match for every filter here");
        for (const QString &t : exact)
            QVERIFY2(fromSql.contains(t), qPrintable(QStringLiteral("SQL lost %1").arg(t)));
        // Without '+' the SQL is the whole filter: nothing more comes back.
        if (!filter.contains(QLatin1Char('+')))
            QCOMPARE(fromSql.size(), exact.size());
    }
};

QTEST_APPLESS_MAIN(TstTopicFilters)
#include "tst_topicfilters.moc"
