// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

class QIODevice;

namespace iot {

/// RFC 4180 CSV onto a QIODevice: fields quoted only when they hold a comma, a quote, CR or LF (quotes doubled),
/// records ended by CRLF, bytes passed through as they are (UTF-8 in, UTF-8 out). Buffers up to 64 KiB, so memory
/// stays flat however many rows go through. Any thread; one writer per device.
class CsvWriter final
{
public:
    explicit CsvWriter(QIODevice *device);
    Q_DISABLE_COPY_MOVE(CsvWriter)

    void field(QByteArrayView value);
    void endRecord();
    /// Writes what is buffered; false when the device refused (disk full, closed pipe).
    bool flush();
    /// The first write error, sticky: the rest of the rows are dropped rather than written with a hole.
    bool failed() const { return m_failed; }

    static bool needsQuotes(QByteArrayView value);

private:
    static constexpr qsizetype FlushAt = 64 * 1024;
    QIODevice *m_device = nullptr;
    QByteArray m_buffer;
    bool m_first = true;   // no comma before the record's first field
    bool m_failed = false;
};

} // namespace iot
