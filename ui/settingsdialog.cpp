// SPDX-License-Identifier: MIT
#include "settingsdialog.h"

#include "config/configkeys.h"
#include "config/configloader.h"
#include "config/secrets.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTextBlock>
#include <QVBoxLayout>

namespace iot {

SettingsDialog::SettingsDialog(const Config &current, QWidget *parent) : QDialog(parent), m_current(current)
{
    setWindowTitle(tr("Settings — IoT Subscriber"));
    setObjectName(QStringLiteral("settingsDialog"));
    m_path = current.sourceFile;
    if (!m_path.isEmpty()) {
        QFile f(m_path);
        if (f.open(QIODevice::ReadOnly))
            m_original = QString::fromUtf8(f.readAll());
    } else {
        m_path = QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + QStringLiteral("/config.toml");
    }
    // The editor never holds a secret: it shows them masked, and saving puts the stored ones back (Secrets).
    const QString text = m_original.isEmpty() ? ConfigLoader::toToml(current, true) : Secrets::maskToml(m_original);

    QString fromEnv;
    for (const ConfigKey &k : ConfigKeys::all())
        if (current.fromEnvironment.contains(k.name()))
            fromEnv += tr("<br><tt>%1</tt> comes from the environment (<tt>%2</tt>): the file's value is not used.")
                           .arg(k.name(), QLatin1String(k.env.data(), qsizetype(k.env.size())));
    auto *intro = new QLabel(
        tr("Configuration file: <b>%1</b><br>Saved only when it validates (the same check as "
           "<tt>--check-config</tt>). Applying restarts ingestion: what is buffered is committed first, and the "
           "broker holds new messages meanwhile. Secrets are shown as %2 and keep their stored value unless you "
           "replace them.")
                .arg(m_path.toHtmlEscaped(), Secrets::mask())
            + fromEnv,
        this);
    intro->setObjectName(QStringLiteral("configIntro"));
    intro->setTextFormat(Qt::RichText);
    intro->setWordWrap(true);
    intro->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_editor = new QPlainTextEdit(this);
    m_editor->setObjectName(QStringLiteral("configEditor"));
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setTabChangesFocus(true);
    m_editor->setAccessibleName(tr("config.toml"));
    m_editor->setPlainText(text);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("configMessage"));
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_close = new QComboBox(this);
    m_close->addItem(tr("Ask every time"), QStringLiteral("ask"));
    m_close->addItem(tr("Keep ingesting in the system tray"), QStringLiteral("tray"));
    m_close->addItem(tr("Stop ingesting and quit"), QStringLiteral("quit"));
    m_close->setCurrentIndex(std::max(0, m_close->findData(closeAction())));
    auto *form = new QFormLayout;
    form->addRow(tr("&Closing the window:"), m_close);

    auto *buttons = new QDialogButtonBox(this);
    auto *validate = buttons->addButton(tr("&Validate"), QDialogButtonBox::ActionRole);
    m_apply = buttons->addButton(tr("&Save and apply"), QDialogButtonBox::AcceptRole);
    buttons->addButton(QDialogButtonBox::Cancel);
    m_apply->setDefault(true);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_editor, 1);
    layout->addWidget(m_message);
    layout->addLayout(form);
    layout->addWidget(buttons);
    resize(760, 620);

    connect(validate, &QPushButton::clicked, this, [this] { (void)this->validate(); });
    connect(m_apply, &QPushButton::clicked, this, [this] { (void)saveAndApply(); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_close, &QComboBox::currentIndexChanged, this,
            [this] { setCloseAction(m_close->currentData().toString()); });
    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] { m_message->clear(); });
}

QString SettingsDialog::text() const
{
    return m_editor->toPlainText();
}

void SettingsDialog::setText(const QString &text)
{
    m_editor->setPlainText(text);
}

QString SettingsDialog::message() const
{
    return m_message->text();
}

void SettingsDialog::showMessage(const QString &text, bool error)
{
    m_message->setText((error ? tr("✘ ") : tr("✔ ")) + text);
}

QString SettingsDialog::textToSave() const
{
    return Secrets::restoreToml(text(), m_original);
}

Result<Config> SettingsDialog::validate()
{
    auto loaded = ConfigLoader::loadString(textToSave().toUtf8(), m_path);
    if (!loaded) {
        const Error &error = loaded.error();
        showMessage(error.message, true);
        // Put the cursor where the problem is.
        if (error.line > 0) {
            const QTextBlock block = m_editor->document()->findBlockByNumber(error.line - 1);
            if (block.isValid()) {
                QTextCursor cursor(block);
                cursor.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor,
                                    std::min(block.length() - 1, std::max(0, error.column - 1)));
                m_editor->setTextCursor(cursor);
                m_editor->setFocus();
            }
        }
        return loaded;
    }
    if (const QStringList masked = Secrets::stillMasked(textToSave()); !masked.isEmpty()) {
        // Only when the file did not parse as it was read: there is no stored value to keep.
        const QString message = tr("%1 reads %2 but there is no stored value to keep: type it again")
                                    .arg(masked.join(QStringLiteral(", ")), Secrets::mask());
        showMessage(message, true);
        return Error{message};
    }
    showMessage(tr("valid"), false);
    return loaded;
}

bool SettingsDialog::saveAndApply()
{
    auto config = validate();
    if (!config)
        return false;
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly) || f.write(textToSave().toUtf8()) < 0 || !f.commit()) {
        showMessage(tr("cannot save %1: %2").arg(m_path, f.errorString()), true);
        return false;
    }
    Q_EMIT applyRequested(config.value());
    accept();
    return true;
}

QString SettingsDialog::closeAction()
{
    return QSettings().value(QStringLiteral("ui/closeAction"), QStringLiteral("ask")).toString();
}

void SettingsDialog::setCloseAction(const QString &action)
{
    QSettings().setValue(QStringLiteral("ui/closeAction"), action);
}

} // namespace iot
