// SPDX-License-Identifier: MIT
#include "alerts/alerthistory.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace iot::AlertHistory {
namespace {

QByteArray line(const AlertEvent &e)
{
    const QJsonObject o{
        {QStringLiteral("event"), e.kind == AlertEvent::Kind::Fired ? QStringLiteral("fired") : QStringLiteral("resolved")},
        {QStringLiteral("rule"), e.ruleName},
        {QStringLiteral("topic"), e.topic},
        {QStringLiteral("severity"), e.severity},
        {QStringLiteral("summary"), e.summary},
        {QStringLiteral("value"), e.value},
        {QStringLiteral("starts_at_us"), QString::number(e.startsAtUs)},
        {QStringLiteral("at_us"), QString::number(e.atUs)},
    };
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

bool parse(const QByteArray &text, AlertEvent &e)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return false;
    const QJsonObject o = doc.object();
    const QString kind = o.value(QStringLiteral("event")).toString();
    if (kind != QStringLiteral("fired") && kind != QStringLiteral("resolved"))
        return false;
    bool startsOk = false;
    bool atOk = false;
    e.kind = kind == QStringLiteral("fired") ? AlertEvent::Kind::Fired : AlertEvent::Kind::Resolved;
    e.ruleName = o.value(QStringLiteral("rule")).toString();
    e.topic = o.value(QStringLiteral("topic")).toString();
    e.severity = o.value(QStringLiteral("severity")).toString();
    e.summary = o.value(QStringLiteral("summary")).toString();
    e.value = o.value(QStringLiteral("value")).toDouble();
    e.startsAtUs = o.value(QStringLiteral("starts_at_us")).toString().toLongLong(&startsOk);
    e.atUs = o.value(QStringLiteral("at_us")).toString().toLongLong(&atOk);
    return startsOk && atOk && !e.ruleName.isEmpty();
}

QList<QByteArray> lines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> out = f.readAll().split('\n');
    out.removeAll(QByteArray());
    return out;
}

} // namespace

QString pathFor(const Config &config)
{
    if (!config.spool.enabled || config.spool.dir.isEmpty())
        return {};
    return QDir(config.spool.dir).filePath(QStringLiteral("alert-history.jsonl"));
}

bool append(const QString &path, const AlertEvent &event, QString *error)
{
    QFile f(path);
    const bool created = !f.exists();
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    if (created)
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QByteArray text = line(event);
    if (f.write(text) != text.size() || !f.flush()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

QList<AlertEvent> load(const QString &path, int last)
{
    QList<AlertEvent> out;
    if (path.isEmpty() || last <= 0)
        return out;
    const QList<QByteArray> all = lines(path);
    for (qsizetype i = all.size() - 1; i >= 0 && out.size() < last; --i) {
        AlertEvent e;
        if (parse(all.at(i), e))
            out.prepend(e);
    }
    return out;
}

void trim(const QString &path, int keep)
{
    if (path.isEmpty())
        return;
    const QList<QByteArray> all = lines(path);
    if (all.size() <= 2 * qsizetype(keep))
        return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return;
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    for (qsizetype i = all.size() - keep; i < all.size(); ++i)
        f.write(all.at(i) + '\n');
    f.commit();
}

} // namespace iot::AlertHistory
