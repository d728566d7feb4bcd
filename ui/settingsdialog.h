// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "util/result.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace iot {

/// Edits config.toml as text with its secrets masked, validates it exactly as --check-config does
/// (ConfigLoader::loadString) before saving, and on "Save and apply" writes the file atomically and asks for an engine restart with the result.
/// Also holds the desktop preference for closing the window. Lives on the GUI thread.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)
public:
    explicit SettingsDialog(const Config &current, QWidget *parent = nullptr);

    QString path() const { return m_path; }
    /// What the editor shows: the file with its secrets masked.
    QString text() const;
    void setText(const QString &text);
    /// The validated config, or the error (also shown in the dialog, cursor moved to its line).
    Result<Config> validate();
    /// Validates, saves, emits applyRequested() and closes; false (dialog stays) when invalid or not writable.
    bool saveAndApply();
    QString message() const;

    /// "ask", "tray" or "quit": what closing the main window does (QSettings "ui/closeAction").
    static QString closeAction();
    static void setCloseAction(const QString &action);

Q_SIGNALS:
    void applyRequested(const iot::Config &config);

private:
    void showMessage(const QString &text, bool error);
    /// The editor's text with the secrets it still shows masked put back from the file.
    QString textToSave() const;

    Config m_current;
    QString m_original;   // the file as read: where masked secrets are restored from
    QString m_path;
    QPlainTextEdit *m_editor = nullptr;
    QLabel *m_message = nullptr;
    QComboBox *m_close = nullptr;
    QPushButton *m_apply = nullptr;
};

} // namespace iot
