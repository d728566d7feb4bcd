// SPDX-License-Identifier: MIT
#include "export/csvwriter.h"

#include <QIODevice>

#include <algorithm>

namespace iot {

CsvWriter::CsvWriter(QIODevice *device) : m_device(device)
{
    m_buffer.reserve(FlushAt + 4096);
}

bool CsvWriter::needsQuotes(QByteArrayView value)
{
    return std::any_of(value.begin(), value.end(),
                       [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; });
}

void CsvWriter::field(QByteArrayView value)
{
    if (!m_first)
        m_buffer.append(',');
    m_first = false;
    if (!needsQuotes(value)) {
        m_buffer.append(value);
        return;
    }
    m_buffer.append('"');
    for (const char c : value) {
        if (c == '"')
            m_buffer.append('"');
        m_buffer.append(c);
    }
    m_buffer.append('"');
}

void CsvWriter::endRecord()
{
    m_buffer.append("\r\n", 2);  // RFC 4180's line break, whatever the platform's
    m_first = true;
    if (m_buffer.size() >= FlushAt)
        flush();
}

bool CsvWriter::flush()
{
    if (!m_failed && !m_buffer.isEmpty()) {
        qsizetype done = 0;
        while (done < m_buffer.size()) {
            const qint64 n = m_device->write(m_buffer.constData() + done, m_buffer.size() - done);
            if (n <= 0) {
                m_failed = true;
                break;
            }
            done += n;
        }
    }
    m_buffer.clear();  // keeps its capacity
    return !m_failed;
}

} // namespace iot
