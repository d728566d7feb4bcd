// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"
#include "mapping/jsonpointer.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

class QJsonValue;

namespace iot {

/// One typed value of a mapped column (16 bytes: a transaction holds rows × columns of them). Text and JSON live
/// in the owning MappedRows' arena.
struct MappedValue
{
    enum class Kind : std::uint8_t { Null, Integer, Double, Text, Boolean, Timestamp, Json };
    std::int64_t i = 0;        // Integer, Boolean (0/1), Timestamp (µs since the Unix epoch); Text, Json: arena offset
    std::uint32_t size = 0;    // Text, Json: bytes in the arena
    Kind kind = Kind::Null;

    double real() const { return std::bit_cast<double>(i); }   // Double
    static MappedValue ofReal(double d) { return {std::bit_cast<std::int64_t>(d), 0, Kind::Double}; }
};

/// The rows one mapping rule produced from one transaction's messages, row-major, ready for COPY or binding.
struct MappedRows
{
    std::size_t columns = 0;
    std::vector<MappedValue> values;     // rows × columns
    std::string arena;
    std::vector<std::uint32_t> sourceRow;  // the batch row each mapped row came from

    std::size_t rows() const { return sourceRow.size(); }
    const MappedValue &at(std::size_t row, std::size_t column) const { return values[row * columns + column]; }
    QByteArrayView bytes(const MappedValue &v) const { return QByteArrayView(arena.data() + v.i, v.size); }
    void clear()
    {
        values.clear();
        arena.clear();
        sourceRow.clear();
    }
};

/// Turns messages into typed rows of the configured [[mappings]]: picks the rule by topic (cached per topic),
/// resolves JSON pointers and topic segments, converts to the column types, checks required columns and the device
/// clock. Lives on the writer thread; everything here runs per message, so the topic lookup is a hash hit.
class Mapper final
{
public:
    Mapper(QList<MappingRule> rules, bool unmatchedToDeadLetter);

    struct Outcome
    {
        enum class Kind { Raw, Mapped, Rejected };
        Kind kind = Kind::Raw;
        int rule = -1;       // Rejected with -1: no rule matches the topic (unmatched = "dead_letter")
        QString reason;      // Rejected: "column temperature (/temperature): expected a number, got \"hot\""
        bool skewed = false; // Mapped with the clock-skew flag set
    };

    const QList<MappingRule> &rules() const { return m_rules; }
    bool isEmpty() const { return m_rules.isEmpty(); }

    /// Maps one message whose payload already passed PayloadCheck. On Mapped, a row was appended to `out[rule]`.
    /// Values are read straight from the payload's bytes (JsonPointer); a message that path cannot decide exactly
    /// (escapes, duplicate keys, a value to re-serialise, any error to explain) is mapped again through
    /// QJsonDocument, the reference, which gives the same result.
    Outcome map(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint32_t sourceRow,
                std::vector<MappedRows> &out);
    /// Tests: every message through the reference path (QJsonDocument), to compare the two.
    void setReferenceOnly(bool on) { m_referenceOnly = on; }
    /// Messages the fast path handed to the reference path so far.
    std::uint64_t referenceFallbacks() const { return m_fallbacks; }
    /// Rule lookups for topics too long to cache (over 1,024 bytes), matched pattern by pattern each time.
    std::uint64_t uncachedMatches() const { return m_uncachedMatches; }

    /// Rule and pattern for a topic, -1 when none matches (cached).
    std::pair<int, int> match(QByteArrayView topic);

private:
    struct Pattern
    {
        QList<QByteArray> levels;   // "+", "#", a literal, or "" for a {name} level
        QList<int> segmentSlot;     // per level: index into the rule's segment names, or -1
    };
    struct CompiledRule
    {
        QList<Pattern> patterns;
        QStringList segments;
        std::vector<JsonPointer> pointers;   // per column (JsonPointer and Value sources)
        std::vector<int> segmentOf;          // per column: its topic segment's slot, -1 if none
        int timeColumn = -1;
        int skewColumn = -1;
    };
    struct TopicHash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    enum class Step { Done, Failed, Unsure };
    // Every column of `rule` into `rows`. With `root` null the values come from JsonPointer on the raw payload (the
    // fast path: Unsure on anything it cannot map); with the parsed `root`, from it (Failed with `error`).
    Step mapColumns(const CompiledRule &cr, const MappingRule &rule, QByteArrayView topic, QByteArrayView payload,
                    std::int64_t receivedAtUs, MappedRows &rows, const QJsonValue *root, QString &error);
    // Parses the payload with QJsonDocument, then mapColumns on it.
    Step mapReference(const CompiledRule &cr, const MappingRule &rule, QByteArrayView topic, QByteArrayView payload,
                      std::int64_t receivedAtUs, MappedRows &rows, QString &error);
    void splitSegments(const CompiledRule &cr, int pattern, QByteArrayView topic);

    QList<MappingRule> m_rules;
    QList<CompiledRule> m_compiled;
    bool m_unmatchedToDeadLetter;
    bool m_referenceOnly = false;
    std::uint64_t m_fallbacks = 0;
    std::uint64_t m_uncachedMatches = 0;
    std::size_t m_cacheBytes = 0;     // sum of the cached topics' lengths
    // Heterogeneous lookup: the per-message topic is looked up as a view, without building a key.
    std::unordered_map<std::string, std::pair<int, int>, TopicHash, std::equal_to<>> m_cache;
    std::vector<QByteArrayView> m_segments;   // the current message's topic segments, by slot
};

} // namespace iot
