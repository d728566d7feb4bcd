// SPDX-License-Identifier: MIT
#include "otlpreceiver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>

namespace iot::test {
namespace {

bool isHexId(const QJsonValue &v, int length)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]+$"));
    const QString s = v.toString();
    return v.isString() && s.size() == length && hex.match(s).hasMatch() && s.count(QLatin1Char('0')) != length;
}

bool isNanoString(const QJsonValue &v)
{
    // Decimal digits only, and at least 2001-09-09 in nanoseconds (so not µs or ms by mistake).
    static const QRegularExpression digits(QStringLiteral("^[1-9][0-9]{18}$"));
    return v.isString() && digits.match(v.toString()).hasMatch();
}

void checkAttributes(const QJsonValue &value, const QString &where, QStringList &out)
{
    static const QRegularExpression int64(QStringLiteral("^-?[0-9]+$"));
    if (value.isUndefined())
        return;
    if (!value.isArray()) {
        out << where + QStringLiteral(": attributes is not an array");
        return;
    }
    for (const QJsonValue a : value.toArray()) {
        const QJsonObject kv = a.toObject();
        const QString key = kv.value(QStringLiteral("key")).toString();
        const QJsonObject any = kv.value(QStringLiteral("value")).toObject();
        const QString at = where + QStringLiteral(" attribute ") + key;
        if (key.isEmpty())
            out << where + QStringLiteral(": attribute without key");
        if (any.size() != 1) {
            out << at + QStringLiteral(": value must have exactly one field");
            continue;
        }
        const QString type = any.keys().constFirst();
        const QJsonValue v = any.value(type);
        if (type == QStringLiteral("stringValue") ? !v.isString()
            : type == QStringLiteral("intValue")  ? !(v.isString() && int64.match(v.toString()).hasMatch())
            : type == QStringLiteral("doubleValue") ? !v.isDouble()
            : type == QStringLiteral("boolValue") ? !v.isBool()
                                                  : true)
            out << at + QStringLiteral(": bad ") + type;
    }
}

} // namespace

OtlpReceiver::OtlpReceiver(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
}

bool OtlpReceiver::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QByteArray OtlpReceiver::url() const
{
    return "http://127.0.0.1:" + QByteArray::number(port()) + "/v1/traces";
}

void OtlpReceiver::read(QTcpSocket *socket)
{
    // Requests may arrive in pieces: wait until the head and Content-Length bytes of body are there.
    const QByteArray data = socket->peek(socket->bytesAvailable());
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    Request request;
    qsizetype length = 0;
    const QList<QByteArray> lines = data.left(headEnd).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    request.method = requestLine.value(0);
    request.path = requestLine.value(1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        const QByteArray name = lines[i].left(colon).trimmed().toLower();
        const QByteArray value = lines[i].mid(colon + 1).trimmed();
        if (name == "content-length")
            length = value.toLongLong();
        else if (name == "content-type")
            request.contentType = value;
    }
    if (data.size() < headEnd + 4 + length)
        return;
    socket->read(headEnd + 4 + length);
    request.body = data.mid(headEnd + 4, length);
    m_requests << request;
    const QByteArray body = m_status == 200 ? QByteArrayLiteral("{}") : QByteArrayLiteral("{\"error\":\"test\"}");
    socket->write("HTTP/1.1 " + QByteArray::number(m_status) + " X\r\nContent-Type: application/json\r\n"
                  "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
    Q_EMIT received();
}

QList<QJsonObject> OtlpReceiver::spans() const
{
    QList<QJsonObject> out;
    for (const Request &r : m_requests) {
        const QJsonObject root = QJsonDocument::fromJson(r.body).object();
        for (const QJsonValue rs : root.value(QStringLiteral("resourceSpans")).toArray())
            for (const QJsonValue ss : rs.toObject().value(QStringLiteral("scopeSpans")).toArray())
                for (const QJsonValue span : ss.toObject().value(QStringLiteral("spans")).toArray())
                    out << span.toObject();
    }
    return out;
}

} // namespace iot::test

namespace iot::test {

QStringList OtlpReceiver::problems(const QByteArray &body)
{
    QStringList out;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return {QStringLiteral("not a JSON object: ") + error.errorString()};
    const QJsonArray resourceSpans = doc.object().value(QStringLiteral("resourceSpans")).toArray();
    if (resourceSpans.isEmpty())
        out << QStringLiteral("no resourceSpans");
    for (const QJsonValue rs : resourceSpans) {
        const QJsonObject resource = rs.toObject().value(QStringLiteral("resource")).toObject();
        checkAttributes(resource.value(QStringLiteral("attributes")), QStringLiteral("resource"), out);
        bool named = false;
        for (const QJsonValue a : resource.value(QStringLiteral("attributes")).toArray())
            named |= a.toObject().value(QStringLiteral("key")).toString() == QStringLiteral("service.name");
        if (!named)
            out << QStringLiteral("resource without service.name");
        const QJsonArray scopeSpans = rs.toObject().value(QStringLiteral("scopeSpans")).toArray();
        if (scopeSpans.isEmpty())
            out << QStringLiteral("no scopeSpans");
        for (const QJsonValue ss : scopeSpans) {
            for (const QJsonValue sv : ss.toObject().value(QStringLiteral("spans")).toArray()) {
                const QJsonObject span = sv.toObject();
                const QString where = QStringLiteral("span ") + span.value(QStringLiteral("name")).toString();
                if (!isHexId(span.value(QStringLiteral("traceId")), 32))
                    out << where + QStringLiteral(": traceId is not 32 hex characters");
                if (!isHexId(span.value(QStringLiteral("spanId")), 16))
                    out << where + QStringLiteral(": spanId is not 16 hex characters");
                if (span.contains(QStringLiteral("parentSpanId"))
                    && !isHexId(span.value(QStringLiteral("parentSpanId")), 16))
                    out << where + QStringLiteral(": bad parentSpanId");
                if (span.value(QStringLiteral("name")).toString().isEmpty())
                    out << QStringLiteral("span without a name");
                const QJsonValue start = span.value(QStringLiteral("startTimeUnixNano"));
                const QJsonValue end = span.value(QStringLiteral("endTimeUnixNano"));
                if (!isNanoString(start) || !isNanoString(end))
                    out << where + QStringLiteral(": times are not nanosecond decimal strings");
                else if (end.toString().toLongLong() < start.toString().toLongLong())
                    out << where + QStringLiteral(": ends before it starts");
                const QJsonValue kind = span.value(QStringLiteral("kind"));
                if (!kind.isDouble() || kind.toInt() < 0 || kind.toInt() > 5)
                    out << where + QStringLiteral(": kind is not an integer enum");
                checkAttributes(span.value(QStringLiteral("attributes")), where, out);
                if (span.contains(QStringLiteral("status"))) {
                    const QJsonValue code = span.value(QStringLiteral("status")).toObject().value(QStringLiteral("code"));
                    if (!code.isDouble() || code.toInt() < 0 || code.toInt() > 2)
                        out << where + QStringLiteral(": status.code is not 0, 1 or 2");
                }
            }
        }
    }
    return out;
}

} // namespace iot::test
