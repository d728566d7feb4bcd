// SPDX-License-Identifier: MIT
// libFuzzer target, differential: for every payload PayloadCheck accepts, the mapper's fast path (JSON pointers
// resolved on the raw bytes) must give exactly what the reference path (QJsonDocument) gives — the same outcome,
// reason, value kinds and values — and neither may crash or read out of bounds. On every input, also
// JsonPointer::resolveMembers against resolve() per field (the alerts' feed).
#include "mapping/jsonpointer.h"
#include "mapping/mapper.h"
#include "pipeline/payloadcheck.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

iot::ColumnMapping column(const char *name, iot::ColumnMapping::Type type, const char *path,
                          iot::ColumnMapping::Source source = iot::ColumnMapping::Source::JsonPointer)
{
    iot::ColumnMapping c;
    c.name = QString::fromLatin1(name);
    c.type = type;
    c.source = source;
    c.path = QString::fromLatin1(path);
    return c;
}

QList<iot::MappingRule> rules()
{
    using T = iot::ColumnMapping::Type;
    using S = iot::ColumnMapping::Source;
    // One message goes to the reference path as soon as one column needs it, so the fields of objects and whole
    // payloads (scalars) are mapped by separate rules.
    iot::MappingRule fields;
    fields.name = QStringLiteral("fields");
    fields.topics = {QStringLiteral("f/{dev}")};
    fields.table = QStringLiteral("fields");
    fields.columns = {column("i", T::Integer, "/i"),       column("d", T::Double, "/d"),
                      column("t", T::Text, "/t"),          column("b", T::Boolean, "/b"),
                      column("j", T::Jsonb, "/j"),         column("ts", T::Timestamptz, "/ts"),
                      column("deep", T::Double, "/a/0/x"), column("esc", T::Text, "/k~1~0"),
                      column("dev", T::Text, "dev", S::TopicSegment)};
    iot::MappingRule whole;
    whole.name = QStringLiteral("whole");
    whole.topics = {QStringLiteral("v/+")};
    whole.table = QStringLiteral("whole");
    whole.columns = {column("v", T::Double, "", S::Value), column("raw", T::Jsonb, "", S::Payload)};
    iot::MappingRule text = whole;
    text.name = QStringLiteral("text");
    text.topics = {QStringLiteral("t/+")};
    text.table = QStringLiteral("text");
    text.columns = {column("v", T::Text, "", S::Value)};
    return {fields, whole, text};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // A copy with no slack behind it, so any over-read trips AddressSanitizer.
    char *copy = static_cast<char *>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    const QByteArrayView payload(copy, static_cast<qsizetype>(size));
    static const iot::PayloadCheck check(1 << 20, 64);
    // Qt's parser (the reference) refuses numbers beyond a double's range that PayloadCheck, like PostgreSQL,
    // accepts; the reference then rejects the message with that reason, while the fast path may map it. Compared
    // only where both can read the payload.
    const bool referenceReads = check.check(payload).ok()
        && !QJsonDocument::fromJson(QByteArray("[") + QByteArray(copy, qsizetype(size)) + "]").isNull();
    if (referenceReads) {
        static iot::Mapper fast(rules(), false);
        static iot::Mapper reference = [] {
            iot::Mapper m(rules(), false);
            m.setReferenceOnly(true);
            return m;
        }();
        for (const char *topic : {"f/d-1", "v/x", "t/x"}) {
            std::vector<iot::MappedRows> a(3), b(3);
            const auto oa = fast.map(topic, payload, 1764210065000000, 0, a);
            const auto ob = reference.map(topic, payload, 1764210065000000, 0, b);
            if (oa.kind != ob.kind || oa.rule != ob.rule || oa.reason != ob.reason)
                std::abort();
            for (std::size_t r = 0; r < a.size(); ++r) {
                if (a[r].values.size() != b[r].values.size())
                    std::abort();
                for (std::size_t k = 0; k < a[r].values.size(); ++k) {
                    const iot::MappedValue &x = a[r].values[k];
                    const iot::MappedValue &y = b[r].values[k];
                    if (x.kind != y.kind)
                        std::abort();
                    const bool bytes = x.kind == iot::MappedValue::Kind::Text || x.kind == iot::MappedValue::Kind::Json;
                    if (bytes ? a[r].bytes(x) != b[r].bytes(y) : x.i != y.i)
                        std::abort();
                }
            }
        }
    }
    // The alerts' one-walk read of several fields answers, on any text, what resolve() answers per field.
    {
        static const QByteArrayView keys[] = {"i", "d", "t", "b", "j", "ts", "k/~", "", "x", "0"};
        static const std::vector<iot::JsonPointer> pointers = [] {
            std::vector<iot::JsonPointer> out;
            for (const QByteArrayView k : keys)   // "k/~" → "/k~1~0"
                out.emplace_back(QString::fromUtf8("/" + k.toByteArray().replace("~", "~0").replace("/", "~1")));
            return out;
        }();
        constexpr std::size_t N = sizeof keys / sizeof keys[0];
        iot::JsonPointer::Result results[N];
        QByteArrayView values[N];
        if (iot::JsonPointer::resolveMembers(payload, keys, N, results, values)) {
            for (std::size_t k = 0; k < N; ++k) {
                QByteArrayView expected;
                const auto r = pointers[k].resolve(payload, expected);
                if (r != results[k] || (r == iot::JsonPointer::Result::Found && expected != values[k]))
                    std::abort();
            }
        }
    }
    std::free(copy);
    return 0;
}
