// SPDX-License-Identifier: MIT
// config/config.toml documents every key of ConfigKeys with its default, and nothing else; --check-config writes
// every key of the table.
#include "config/configkeys.h"
#include "config/configloader.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTest>

#include <map>
#include <set>

using namespace iot;

namespace {

QString sourcePath(const QString &relative)
{
    const QString root = qEnvironmentVariable("IOT_SOURCE_DIR");
    if (!root.isEmpty())
        return root + u'/' + relative;
    return QFINDTESTDATA(QStringLiteral("../../../") + relative);
}

QString name(const ConfigKey &k)
{
    return QString::fromLatin1(k.section.data(), qsizetype(k.section.size())) + u'.'
        + QString::fromLatin1(k.key.data(), qsizetype(k.key.size()));
}

/// "section.key" → value text of each key line of a TOML file with plain `key = value  # comment` lines.
std::map<QString, QString> documentedKeys(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        qFatal("cannot read %s", qPrintable(path));
    static const QRegularExpression section(QStringLiteral("^\\[([a-z_]+)\\]\\s*(#.*)?$"));
    static const QRegularExpression key(QStringLiteral("^([a-z_]+)\\s*=\\s*(.*?)\\s*(#.*)?$"));
    std::map<QString, QString> keys;
    QString current;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (const auto m = section.match(line); m.hasMatch())
            current = m.captured(1);
        else if (const auto k = key.match(line); k.hasMatch())
            keys[current + u'.' + k.captured(1)] = k.captured(2);
    }
    return keys;
}

} // namespace

class TstConfigKeys final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyKeyIsDocumented_data();
    void everyKeyIsDocumented();
    void everyDocumentedKeyIsKnown();
    void documentedValuesAreTheDefaults();
    void checkConfigWritesEveryKey();
};

void TstConfigKeys::everyKeyIsDocumented_data()
{
    QTest::addColumn<QString>("key");
    for (const ConfigKey &k : ConfigKeys::all())
        QTest::newRow(qPrintable(name(k))) << name(k);
}

void TstConfigKeys::everyKeyIsDocumented()
{
    QFETCH(QString, key);
    const auto documented = documentedKeys(sourcePath(QStringLiteral("config/config.toml")));
    QVERIFY2(documented.count(key) == 1, qPrintable(key + QStringLiteral(" is missing from config/config.toml")));
}

void TstConfigKeys::everyDocumentedKeyIsKnown()
{
    std::set<QString> known;
    for (const ConfigKey &k : ConfigKeys::all())
        known.insert(name(k));
    for (const auto &[key, value] : documentedKeys(sourcePath(QStringLiteral("config/config.toml"))))
        QVERIFY2(known.count(key) == 1, qPrintable(key + QStringLiteral(" is not in ConfigKeys")));
}

void TstConfigKeys::documentedValuesAreTheDefaults()
{
    const auto load = [](const ConfigKey &k, const QString &value) {
        const QString toml = u'[' + QString::fromLatin1(k.section.data(), qsizetype(k.section.size()))
            + QStringLiteral("]\n") + QString::fromLatin1(k.key.data(), qsizetype(k.key.size())) + QStringLiteral(" = ")
            + value + u'\n';
        return ConfigLoader::loadString(toml.toUtf8(), QStringLiteral("config.toml"), QProcessEnvironment());
    };
    const auto documented = documentedKeys(sourcePath(QStringLiteral("config/config.toml")));
    const Config defaults = ConfigLoader::defaults(QProcessEnvironment());
    // Key by key, the documented value means what the table writes for the default: each alone in its section
    // (so a key that changes another's default, such as database.name choosing PostgreSQL, does so on both sides).
    for (const ConfigKey &k : ConfigKeys::all()) {
        const auto doc = documented.find(name(k));
        // topic and qos are written back as topics; `topics = []` alone (no `topic`) is no subscription at all.
        if (!k.toml || doc == documented.end() || name(k) == QLatin1String("mqtt.topics"))
            continue;
        const Result<Config> fromDoc = load(k, doc->second);
        const Result<Config> fromTable = load(k, k.toml(defaults, false));
        QVERIFY2(fromDoc.ok(), qPrintable(fromDoc.ok() ? QString() : fromDoc.error().message));
        QVERIFY2(fromTable.ok(), qPrintable(fromTable.ok() ? QString() : fromTable.error().message));
        QVERIFY2(fromDoc.value() == fromTable.value(),
                 qPrintable(name(k) + QStringLiteral(" = ") + doc->second + QStringLiteral(" is not the default ")
                            + k.toml(defaults, false)));
    }
    // And the file as a whole (topic, qos and topics together) loads as the defaults.
    const Result<Config> whole = ConfigLoader::loadFile(sourcePath(QStringLiteral("config/config.toml")),
                                                        QProcessEnvironment());
    QVERIFY2(whole.ok(), qPrintable(whole.ok() ? QString() : whole.error().message));
    Config c = whole.value();
    c.sourceFile.clear();
    QVERIFY(c == defaults);
}

void TstConfigKeys::checkConfigWritesEveryKey()
{
    const QString printed = ConfigLoader::toToml(ConfigLoader::defaults(QProcessEnvironment()), false);
    for (const ConfigKey &k : ConfigKeys::all()) {
        if (!k.toml)
            continue;
        const QString line = QString::fromLatin1(k.key.data(), qsizetype(k.key.size())) + QStringLiteral(" = ");
        QVERIFY2(printed.contains(u'\n' + line), qPrintable(name(k)));
    }
}

QTEST_APPLESS_MAIN(TstConfigKeys)
#include "tst_configkeys.moc"
