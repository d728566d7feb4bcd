// SPDX-License-Identifier: MIT
#include "storage/sqlsink.h"

#include <QFile>
#include <QStringList>

namespace iot {

SqlSink::~SqlSink() = default;

QString SqlSink::quoteIdentifier(const QString &name)
{
    QStringList parts = name.split(QLatin1Char('.'));
    for (QString &p : parts)
        p = QLatin1Char('"') + QString(p).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return parts.join(QLatin1Char('.'));
}

QString SqlSink::baseName(const QString &name)
{
    return name.section(QLatin1Char('.'), -1);
}

QString SqlSink::loadSql(const QString &resource, const QMap<QString, QString> &vars)
{
    QFile f(resource);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QString sql = QString::fromUtf8(f.readAll());
    for (auto it = vars.cbegin(); it != vars.cend(); ++it)
        sql.replace(QStringLiteral("${") + it.key() + QLatin1Char('}'), it.value());
    return sql;
}

} // namespace iot
