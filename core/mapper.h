// SPDX-License-Identifier: MIT
#pragma once

#include "config.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace iot {

/// One typed value of a mapped column. Text and JSON live in the owning MappedRows' arena.
struct MappedValue
{
    enum class Kind : std::uint8_t { Null, Integer, Double, Text, Boolean, Timestamp, Json };
    Kind kind = Kind::Null;
    std::int64_t i = 0;        // Integer, Boolean (0/1), Timestamp (µs since the Unix epoch)
    double d = 0;              // Double
    std::uint32_t offset = 0;  // Text, Json: bytes in the arena
    std::uint32_t size = 0;
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
    QByteArrayView bytes(const MappedValue &v) const { return QByteArrayView(arena.data() + v.offset, v.size); }
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
        int rule = -1;
        QString reason;      // Rejected: "column temperature (/temperature): expected a number, got \"hot\""
        bool skewed = false; // Mapped with the clock-skew flag set
    };

    const QList<MappingRule> &rules() const { return m_rules; }
    bool isEmpty() const { return m_rules.isEmpty(); }

    /// Maps one message whose payload already passed PayloadCheck. On Mapped, a row was appended to `out[rule]`.
    Outcome map(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint32_t sourceRow,
                std::vector<MappedRows> &out);

    /// Rule and pattern for a topic, -1 when none matches (cached).
    std::pair<int, int> match(QByteArrayView topic);
    /// Parses an ISO-8601 date-time ("2026-11-27T02:21:05.123Z", offsets allowed, no zone = UTC) to µs.
    static bool parseIso8601(QByteArrayView text, std::int64_t &epochUs);

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
        int timeColumn = -1;
        int skewColumn = -1;
    };

    QList<MappingRule> m_rules;
    QList<CompiledRule> m_compiled;
    bool m_unmatchedToDeadLetter;
    QHash<QByteArray, std::pair<int, int>> m_cache;
};

} // namespace iot
