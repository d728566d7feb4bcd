// SPDX-License-Identifier: MIT
// The settings editor never shows a secret: passwords and the credentials of a trace endpoint read "********" in
// every widget, values from the environment are named as such, and saving keeps the stored secrets unless the
// operator typed new ones — the mask itself is never written into the file. No servers needed.
#include "config/configloader.h"
#include "settingsdialog.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace iot;

namespace {

const QString MqttPassword = QStringLiteral("mqtt-Pw-4f9e2b");
const QString DbPassword = QStringLiteral("db-Pw-7c1d3a");
const QString TracePassword = QStringLiteral("trace-Pw-9a8b7c");
const QString TraceToken = QStringLiteral("tok-5e6f7a8b");
const QString EnvPassword = QStringLiteral("env-Pw-31337x");
const QString AlertmanagerPassword = QStringLiteral("am-Pw-2d4f6h");
const QString AlertmanagerToken = QStringLiteral("am-tok-8j9k0l");

QString original()
{
    return QStringLiteral("# the operator's own comment stays\n"
                          "[mqtt]\n"
                          "host = \"localhost\"\n"
                          "username = \"sensor-reader\"\n"
                          "password = \"%1\"  # from the vault\n"
                          "\n"
                          "[database]\n"
                          "driver = \"sqlite\"\n"
                          "path = \"readings.sqlite\"\n"
                          "password = '%2'\n"
                          "\n"
                          "[observability]\n"
                          "trace_endpoint = \"http://collector:%3@127.0.0.1:4318/v1/traces?token=%4&service=lab\"\n"
                          "prometheus_port = 0\n"
                          "\n"
                          "[alerting]\n"
                          "alertmanager_url = \"https://alerts:%5@am.example:9093?api_key=%6\"\n")
        .arg(MqttPassword, DbPassword, TracePassword, TraceToken, AlertmanagerPassword, AlertmanagerToken);
}

/// Every text a widget of `root` shows or announces: labels, buttons, editors, combo items, tooltips, titles.
QStringList allText(QWidget *root)
{
    QStringList out;
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *w : std::as_const(widgets)) {
        out << w->windowTitle() << w->toolTip() << w->statusTip() << w->whatsThis() << w->accessibleName()
            << w->accessibleDescription();
        if (auto *l = qobject_cast<QLabel *>(w))
            out << l->text();
        if (auto *b = qobject_cast<QAbstractButton *>(w))
            out << b->text();
        if (auto *e = qobject_cast<QLineEdit *>(w))
            out << e->text();
        if (auto *e = qobject_cast<QPlainTextEdit *>(w))
            out << e->toPlainText();
        if (auto *c = qobject_cast<QComboBox *>(w))
            for (int i = 0; i < c->count(); ++i)
                out << c->itemText(i);
    }
    return out;
}

QString readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

class TstSettingsSecrets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void secretsAreNeverShown();
    void untouchedSecretsAreKeptVerbatim();
    void otherEditsKeepTheSecrets();
    void aTypedSecretIsSaved();
    void environmentSecretIsNamedNotShown();
    void withoutAFileTheEnvironmentIsNotWritten();
    void aMaskWithNothingToRestoreIsRefused();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    Config loadIt() const
    {
        auto r = ConfigLoader::loadFile(m_path);
        if (!r)
            qFatal("test config: %s", qPrintable(r.error().message));
        return r.value();
    }
    QString save(SettingsDialog &dialog, Config *applied = nullptr)
    {
        Config got;
        connect(&dialog, &SettingsDialog::applyRequested, this, [&got](const Config &c) { got = c; });
        if (!dialog.saveAndApply())
            return QStringLiteral("not saved: ") + dialog.message();
        if (applied)
            *applied = got;
        return readFile(m_path);
    }
};

void TstSettingsSecrets::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("iot-subscriber-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_settingssecrets"));
    QSettings().clear();
}

void TstSettingsSecrets::init()
{
    qunsetenv("IOT_MQTT_PASSWORD");
    qunsetenv("IOT_DATABASE_PASSWORD");
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("config.toml"));
    QFile f(m_path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(original().toUtf8());
}

void TstSettingsSecrets::cleanup()
{
    qunsetenv("IOT_MQTT_PASSWORD");
    qunsetenv("IOT_DATABASE_PASSWORD");
}

void TstSettingsSecrets::secretsAreNeverShown()
{
    SettingsDialog dialog(loadIt());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    const QString everything = allText(&dialog).join(u'\n');
    for (const QString &secret :
         {MqttPassword, DbPassword, TracePassword, TraceToken, AlertmanagerPassword, AlertmanagerToken})
        QVERIFY2(!everything.contains(secret), qPrintable(secret + QStringLiteral(" is shown")));
    // Masked where they stand, the rest of the file as written.
    const QString text = dialog.text();
    QVERIFY2(text.contains(QStringLiteral("password = \"********\"  # from the vault\n")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("\npassword = \"********\"\n")));
    QVERIFY2(text.contains(QStringLiteral("collector:********@127.0.0.1:4318/v1/traces?token=********&service=lab")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("alerts:********@am.example:9093?api_key=********")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("# the operator's own comment stays")));
    QVERIFY(text.contains(QStringLiteral("username = \"sensor-reader\"")));
}

void TstSettingsSecrets::untouchedSecretsAreKeptVerbatim()
{
    SettingsDialog dialog(loadIt());
    Config applied;
    QCOMPARE(save(dialog, &applied), original());  // byte for byte: no mask written, nothing re-quoted
    QCOMPARE(applied.mqtt.password, MqttPassword);
    QCOMPARE(applied.database.password, DbPassword);
    QVERIFY(applied.observability.traceEndpoint.contains(TraceToken));
    QVERIFY(applied.observability.traceEndpoint.contains(TracePassword));
    QCOMPARE(applied.alerting.alertmanagerUrl,
             QStringLiteral("https://alerts:%1@am.example:9093?api_key=%2").arg(AlertmanagerPassword, AlertmanagerToken));
}

void TstSettingsSecrets::otherEditsKeepTheSecrets()
{
    SettingsDialog dialog(loadIt());
    QString text = dialog.text();
    text.replace(QStringLiteral("host = \"localhost\""), QStringLiteral("host = \"broker.example\""));
    // The trace endpoint's host changes; its masked password and token stay masked, so they are kept.
    text.replace(QStringLiteral("@127.0.0.1:4318"), QStringLiteral("@otel.example:4318"));
    text.replace(QStringLiteral("@am.example:9093"), QStringLiteral("@am2.example:9093"));   // the same for Alertmanager
    dialog.setText(text);
    Config applied;
    const QString saved = save(dialog, &applied);
    QVERIFY2(saved.contains(QStringLiteral("host = \"broker.example\"")), qPrintable(saved));
    QVERIFY(saved.contains(QStringLiteral("password = \"%1\"  # from the vault").arg(MqttPassword)));
    QVERIFY(saved.contains(QStringLiteral("password = '%1'").arg(DbPassword)));
    QVERIFY(!saved.contains(QStringLiteral("********")));
    QCOMPARE(applied.observability.traceEndpoint,
             QStringLiteral("http://collector:%1@otel.example:4318/v1/traces?token=%2&service=lab")
                 .arg(TracePassword, TraceToken));
    QCOMPARE(applied.alerting.alertmanagerUrl,
             QStringLiteral("https://alerts:%1@am2.example:9093?api_key=%2").arg(AlertmanagerPassword, AlertmanagerToken));
}

void TstSettingsSecrets::aTypedSecretIsSaved()
{
    SettingsDialog dialog(loadIt());
    QString text = dialog.text();
    text.replace(QStringLiteral("password = \"********\"  # from the vault"),
                 QStringLiteral("password = \"typed-Pw-1\"  # from the vault"));
    dialog.setText(text);
    Config applied;
    const QString saved = save(dialog, &applied);
    QVERIFY2(saved.contains(QStringLiteral("password = \"typed-Pw-1\"")), qPrintable(saved));
    QVERIFY(!saved.contains(MqttPassword));
    QVERIFY(saved.contains(DbPassword));
    QCOMPARE(applied.mqtt.password, QStringLiteral("typed-Pw-1"));
}

void TstSettingsSecrets::environmentSecretIsNamedNotShown()
{
    qputenv("IOT_DATABASE_PASSWORD", EnvPassword.toUtf8());
    const Config config = loadIt();
    QCOMPARE(config.database.password, EnvPassword);
    QVERIFY(config.fromEnvironment.contains(QStringLiteral("database.password")));
    SettingsDialog dialog(config);
    const QString everything = allText(&dialog).join(u'\n');
    QVERIFY(!everything.contains(EnvPassword));
    QVERIFY(!everything.contains(DbPassword));
    QVERIFY2(everything.contains(QStringLiteral("IOT_DATABASE_PASSWORD")), qPrintable(everything));
    // --check-config says where it came from instead of showing it.
    const QString printed = ConfigLoader::toToml(config, true);
    QVERIFY(!printed.contains(EnvPassword));
    QVERIFY2(printed.contains(QStringLiteral("password = \"(from environment)\"  # from the environment: "
                                             "IOT_DATABASE_PASSWORD")),
             qPrintable(printed));
    // Saving never moves the environment's value into the file.
    Config applied;
    QCOMPARE(save(dialog, &applied), original());
    QCOMPARE(applied.database.password, EnvPassword);
}

void TstSettingsSecrets::withoutAFileTheEnvironmentIsNotWritten()
{
    qputenv("IOT_MQTT_PASSWORD", EnvPassword.toUtf8());
    const Config config = ConfigLoader::defaults();
    QVERIFY(config.sourceFile.isEmpty());
    SettingsDialog dialog(config);
    m_path = dialog.path();
    QFile::remove(m_path);
    QVERIFY(!allText(&dialog).join(u'\n').contains(EnvPassword));
    QVERIFY2(dialog.text().contains(QStringLiteral("password = \"(from environment)\"")), qPrintable(dialog.text()));
    Config applied;
    const QString saved = save(dialog, &applied);
    QVERIFY2(!saved.contains(EnvPassword) && !saved.contains(QStringLiteral("(from environment)")), qPrintable(saved));
    QVERIFY(saved.contains(QStringLiteral("[mqtt]")));
    QCOMPARE(applied.mqtt.password, EnvPassword);  // still supplied by the environment
    QFile::remove(m_path);
}

void TstSettingsSecrets::aMaskWithNothingToRestoreIsRefused()
{
    // The file was broken when the dialog opened (edited outside meanwhile): masked line by line, nothing to restore.
    const Config config = loadIt();
    {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("[mqtt\npassword = \"%1\"\n").arg(MqttPassword).toUtf8());
    }
    SettingsDialog dialog(config);
    QVERIFY(!dialog.text().contains(MqttPassword));
    dialog.setText(QStringLiteral("[mqtt]\npassword = \"********\"\n"));  // the syntax fixed, the mask left
    QVERIFY(!dialog.saveAndApply());
    QVERIFY2(dialog.message().contains(QStringLiteral("mqtt.password")), qPrintable(dialog.message()));
    QVERIFY(readFile(m_path).contains(MqttPassword));  // not overwritten
}

QTEST_MAIN(TstSettingsSecrets)
#include "tst_settingssecrets.moc"
