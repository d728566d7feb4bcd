// SPDX-License-Identifier: MIT
#include "addinstancedialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace iot {

AddInstanceDialog::AddInstanceDialog(QWidget *parent)
    : QDialog(parent), m_url(new QLineEdit(this)), m_name(new QLineEdit(this)), m_token(new QLineEdit(this)),
      m_problem(new QLabel(this)), m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Add instance"));
    m_url->setObjectName(QStringLiteral("instanceUrl"));
    m_url->setPlaceholderText(QStringLiteral("http://server.example:8001"));
    m_url->setToolTip(tr("The instance's observability address ([observability] port), http or https"));
    m_name->setPlaceholderText(tr("optional: shown instead of the instance's own name"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("optional: the instance's auth token (needed beyond loopback)"));
    m_problem->setObjectName(QStringLiteral("instanceUrlProblem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setWordWrap(true);
    auto *form = new QFormLayout(this);
    form->addRow(tr("&URL:"), m_url);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(m_problem);
    form->addRow(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_url, &QLineEdit::textChanged, this, &AddInstanceDialog::check);
    check();
    resize(520, sizeHint().height());
}

AddInstanceDialog::~AddInstanceDialog() = default;

QUrl AddInstanceDialog::parseUrl(const QString &text, QString *why)
{
    const QString trimmed = text.trimmed();
    const auto refuse = [why](const QString &reason) {
        if (why)
            *why = reason;
        return QUrl();
    };
    if (trimmed.isEmpty())
        return refuse(tr("Enter the instance's address, e.g. http://server.example:8001"));
    if (!trimmed.contains(QLatin1String("://")))   // "host:8001" would parse as a scheme "host"
        return refuse(tr("The URL needs http:// or https:// in front, e.g. http://%1").arg(trimmed));
    const QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid())
        return refuse(tr("Not a valid URL: %1").arg(url.errorString()));
    const QString scheme = url.scheme().toLower();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return refuse(tr("Only http and https are understood, not %1").arg(scheme));
    if (url.host().isEmpty())
        return refuse(tr("The URL names no host"));
    if (!url.userInfo().isEmpty())
        return refuse(tr("No user name or password in the URL: put the token in the Token field"));
    if ((!url.path().isEmpty() && url.path() != QLatin1String("/")) || url.hasQuery() || url.hasFragment())
        return refuse(tr("Give the address only (scheme, host, port): the status API's paths are added by the "
                         "window"));
    QUrl base;
    base.setScheme(scheme);
    base.setHost(url.host());
    base.setPort(url.port());
    if (why)
        why->clear();
    return base;
}

void AddInstanceDialog::setEditing(const QUrl &url, const QString &name, bool hasToken)
{
    m_editing = true;
    setWindowTitle(tr("Edit instance"));
    m_url->setText(url.toString());
    m_name->setText(name);
    m_token->clear();
    m_token->setPlaceholderText(hasToken ? tr("unchanged (type a new token to replace it)")
                                         : tr("none (type one if the instance now wants a token)"));
    check();
}

QUrl AddInstanceDialog::url() const
{
    return parseUrl(m_url->text(), nullptr);
}

QString AddInstanceDialog::name() const
{
    return m_name->text().trimmed();
}

QByteArray AddInstanceDialog::token() const
{
    return m_token->text().trimmed().toUtf8();
}

QString AddInstanceDialog::problem() const
{
    QString why;
    parseUrl(m_url->text(), &why);
    return why;
}

void AddInstanceDialog::check()
{
    const QString why = problem();
    m_problem->setText(why);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
}

} // namespace iot
