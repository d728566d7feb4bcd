// SPDX-License-Identifier: MIT
#include "fakemessagesource.h"

namespace iot::test {

void FakeMessageSource::start()
{
    m_started = true;
    setState({.state = State::Connected, .endpoint = QStringLiteral("fake broker")});
}

void FakeMessageSource::stop()
{
    m_stopped = true;
    setState({.state = State::Disconnected, .cause = Cause::Stopped});
    Q_EMIT stopped();
}

int FakeMessageSource::publish(int count, int marked, const QByteArray &marker)
{
    int i = 0;
    for (; i < count && !m_paused && !m_stopped; ++i, ++m_next)
        deliver(m_topic, payload(m_next, m_next == marked ? marker : QByteArray()));
    return i;
}

bool FakeMessageSource::publishRaw(const QByteArray &topic, const QByteArray &payload)
{
    if (m_paused || m_stopped)
        return false;
    deliver(topic, payload);
    return true;
}

QByteArray FakeMessageSource::payload(int seq, const QByteArray &marker)
{
    QByteArray p = QByteArrayLiteral("{\"seq\":") + QByteArray::number(seq);
    if (!marker.isEmpty())
        p += QByteArrayLiteral(",\"k\":\"") + marker + '"';
    return p + '}';
}

QList<int> FakeMessageSource::seqs(int first, int last, const QList<int> &except)
{
    QList<int> r;
    for (int i = first; i <= last; ++i)
        if (!except.contains(i))
            r << i;
    return r;
}

int FakeMessageSource::seqOf(const QByteArray &payload)
{
    if (!payload.startsWith("{\"seq\":"))
        return 0;
    qsizetype end = 7;
    while (end < payload.size() && payload[end] >= '0' && payload[end] <= '9')
        ++end;
    return payload.mid(7, end - 7).toInt();
}

} // namespace iot::test
