// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QUrl>

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace iot {

/// Asks for a remote instance to watch: its status API's base URL (http or https, checked here: a bad one is
/// refused in words and OK stays disabled), an optional name and an optional bearer token. Lives on the GUI thread.
class AddInstanceDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AddInstanceDialog)
public:
    explicit AddInstanceDialog(QWidget *parent = nullptr);
    ~AddInstanceDialog() override;

    /// The base URL ("http://host:8001"), or an empty URL with the reason in `why`.
    static QUrl parseUrl(const QString &text, QString *why);

    /// Turns the dialog into "Edit instance": the URL and name filled in, the token field empty and saying
    /// "unchanged" (the token is never shown back); only a token typed over it replaces the kept one.
    void setEditing(const QUrl &url, const QString &name, bool hasToken);
    bool isEditing() const { return m_editing; }

    QUrl url() const;
    QString name() const;
    QByteArray token() const;
    /// Whether a token was typed (when editing: an empty field keeps the instance's token).
    bool tokenTyped() const { return !token().isEmpty(); }
    /// What is wrong with the URL typed so far (empty when it is fine).
    QString problem() const;
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *tokenEdit() const { return m_token; }
    QDialogButtonBox *buttons() const { return m_buttons; }

private:
    void check();

    QLineEdit *m_url = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_token = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    bool m_editing = false;
};

} // namespace iot
