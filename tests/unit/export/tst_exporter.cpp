// SPDX-License-Identifier: MIT
// Exporter over a real SQLite file (no servers): the progress callback and the cancel flag a window will use, a
// read-only open that leaves the file untouched, and the header-only output of an empty range.
#include "export/exporter.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace iot;

namespace {

constexpr int Rows = 25000;

QByteArray digest(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class TstExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_config.database.driver = DbDriver::Sqlite;
        m_config.database.path = m_dir.filePath(QStringLiteral("export.sqlite"));
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(m_config.database.path.toUtf8().constData(), &db), SQLITE_OK);
        // The readings table as core/storage/sql/sqlite_schema.sql makes it, rows one millisecond apart.
        const QByteArray sql = "CREATE TABLE readings (received_at TEXT NOT NULL, topic TEXT NOT NULL, payload TEXT "
                               "NOT NULL);"
                               "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < "
            + QByteArray::number(Rows - 1)
            + ") INSERT INTO readings SELECT printf('2026-01-01T00:%02d:%02d.%03d000Z', i / 60000, (i / 1000) % 60, "
              "i % 1000), 'lab/' || (i % 2), json_object('seq', i) FROM s;";
        QCOMPARE(sqlite3_exec(db, sql.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }

    void progressThenDone()
    {
        const QByteArray before = digest(m_config.database.path);
        ExportRequest r;
        r.fields = {{QStringLiteral("seq"), QStringLiteral("/seq")}};
        r.topics = {QStringLiteral("lab/+")};
        Exporter e(m_config, r);
        QList<std::int64_t> reported;
        e.setProgress([&reported](std::int64_t rows) { reported << rows; }, 10000);
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        const ExportOutcome o = e.run(&out);
        QCOMPARE(o.ending, ExportOutcome::Ending::Done);
        QCOMPARE(o.rows, Rows);
        QCOMPARE(reported, (QList<std::int64_t>{10000, 20000, Rows}));
        QCOMPARE(out.data().count('\n'), Rows + 1);
        QVERIFY(out.data().endsWith("2026-01-01T00:00:24.999000Z,lab/1,24999\r\n"));
        QCOMPARE(digest(m_config.database.path), before);  // opened read-only: not a byte changed
    }

    void cancelStopsAtTheNextRow()
    {
        Exporter e(m_config, {});
        std::atomic_bool cancel{false};
        e.setCancelFlag(&cancel);
        e.setProgress([&cancel](std::int64_t) { cancel = true; }, 1000);
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        const ExportOutcome o = e.run(&out);
        QCOMPARE(o.ending, ExportOutcome::Ending::Cancelled);
        QCOMPARE(o.rows, 1000);
        QCOMPARE(out.data().count('\n'), 1001);
    }

    void emptyRangeIsTheHeaderAlone()
    {
        ExportRequest r;
        r.fromUs = 0;
        r.toUs = 1000;
        Exporter e(m_config, r);
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        QCOMPARE(e.run(&out).ending, ExportOutcome::Ending::Done);
        QCOMPARE(out.data(), QByteArray("received_at,topic,payload\r\n"));
    }

private:
    QTemporaryDir m_dir;
    Config m_config;
};

QTEST_GUILESS_MAIN(TstExporter)
#include "tst_exporter.moc"
