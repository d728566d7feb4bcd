// SPDX-License-Identifier: MIT
#include "pipeline/batch.h"

#include <algorithm>

namespace iot {

void Batch::reserve(std::size_t messages, std::size_t bytes)
{
    m_entries.reserve(messages);
    m_data.reserve(bytes);
}

Batch Batch::spilled(Spill spill)
{
    Batch b;
    b.m_spill = spill;
    return b;
}

void Batch::append(QByteArrayView topic, QByteArrayView payload, std::int64_t receivedAtUs, std::uint64_t spoolEnd,
                   bool checked)
{
    Entry e;
    e.offset = m_data.size();
    e.topicSize = static_cast<std::uint32_t>(topic.size());
    m_data.append(topic.data(), static_cast<std::size_t>(topic.size()));
    e.payloadSize = static_cast<std::uint32_t>(payload.size());
    m_data.append(payload.data(), static_cast<std::size_t>(payload.size()));
    e.receivedAtUs = receivedAtUs;
    e.spoolEnd = spoolEnd;
    e.checked = checked;
    m_entries.push_back(e);
}

QByteArrayView Batch::topic(std::size_t i) const
{
    const Entry &e = m_entries[i];
    return QByteArrayView(m_data.data() + e.offset, e.topicSize);
}

QByteArrayView Batch::payload(std::size_t i) const
{
    const Entry &e = m_entries[i];
    return QByteArrayView(m_data.data() + e.offset + e.topicSize, e.payloadSize);
}

void Batch::appendAll(const Batch &other)
{
    const std::uint64_t shift = m_data.size();
    m_data.append(other.m_data);
    m_entries.reserve(m_entries.size() + other.m_entries.size());
    for (Entry e : other.m_entries) {
        e.offset += shift;
        m_entries.push_back(e);
    }
}

void Batch::clear()
{
    m_entries.clear();
    m_data.clear();
    m_spill = {};
}

std::uint64_t Batch::spoolEndOfFirst(std::size_t count) const
{
    for (std::size_t i = std::min(count, m_entries.size()); i > 0; --i)
        if (m_entries[i - 1].spoolEnd != 0)
            return m_entries[i - 1].spoolEnd;
    return 0;
}

} // namespace iot
