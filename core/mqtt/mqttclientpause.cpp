// SPDX-License-Identifier: MIT
// MqttClient while reading is paused (the operator's pause, the spool at max_mb, the memory bound).
//
// Leaving the socket unread, as we once did, loses the session: the broker's PINGRESP goes unread and libmosquitto
// drops the connection after two keep-alives, in a loop. So the socket is still read. But libmosquitto
// acknowledges a QoS 1 PUBLISH inside the read that delivers it, and a PUBACK makes the broker send the next one:
// reading would take in everything. libmosquitto has no call to withhold a PUBACK, so while paused it runs in its
// "threaded" mode, in which it queues packets instead of writing them, and we write none of them. The broker then
// stops at its in-flight window of unacknowledged messages; those are held here, not acknowledged, and handed on
// in order when reading resumes, just before their PUBACKs go out — the spool still comes before the PUBACK, so a
// crash meanwhile loses nothing (the broker sends them again). The session is kept alive by PINGREQs of our own,
// written past libmosquitto's queue (2 bytes at a packet boundary: nothing of its own is being written then).
#include "mqtt/mqttclient_p.h"

#include <openssl/ssl.h>

#include <sys/socket.h>

namespace iot {
namespace {

constexpr char PingReq[2] = {char(0xC0), 0};

} // namespace

void MqttClient::Private::hold(QByteArrayView topic, QByteArrayView payload, int qos)
{
    held.add(topic, payload, qos);
    if (!held.full() || !readNotifier)
        return;
    // Only QoS 0 floods or a broker with a huge in-flight window get here: the socket stays unread again, and a
    // pause that lasts about two keep-alives longer ends in a reconnect (nothing acknowledged is lost by it).
    readNotifier->setEnabled(false);
    if (!warnedHeldFull) {
        warnedHeldFull = true;
        log->warn("reading paused: {} messages ({} bytes) held, the most that is held; the socket is no longer "
                  "read until reading resumes",
                  held.count(), held.bytes());
    }
}

void MqttClient::Private::syncWithholding()
{
    const bool want = paused && !stopping && readNotifier && q->state() == State::Connected;
    if (want == withholding || inRead)
        return;  // inside libmosquitto's callbacks: readReady() comes back here when the loop is done
    if (want) {
        // Whatever is queued (PUBACKs of messages already handed on, subscriptions) goes out first, so that the
        // stream is at a packet boundary for our PINGREQs; until then nothing is read.
        readNotifier->setEnabled(false);
        if (mosquitto_want_write(mosq)) {
            loopFailed(mosquitto_loop_write(mosq, 1));
            if (!readNotifier || mosquitto_want_write(mosq))
                return;  // writeReady() tries again
        }
        mosquitto_threaded_set(mosq, true);
        withholding = true;
        lastPing.start();
        if (!held.full())
            readNotifier->setEnabled(true);
        return;
    }
    withholding = false;
    mosquitto_threaded_set(mosq, false);
}

bool MqttClient::Private::writePing()
{
    if (auto *ssl = static_cast<SSL *>(mosquitto_ssl_get(mosq))) {
        // All or nothing (no partial writes); a retry must repeat the same buffer before anything else is written:
        // PingReq is static, and libmosquitto writes nothing meanwhile.
        const bool done = SSL_write(ssl, PingReq, int(sizeof PingReq)) > 0;
        pingWritten = done ? 0 : 1;
        return done;
    }
    const auto n = ::send(mosquitto_socket(mosq), PingReq + pingWritten, sizeof PingReq - std::size_t(pingWritten),
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
        pingWritten += int(n);
    if (pingWritten == int(sizeof PingReq)) {
        pingWritten = 0;
        return true;
    }
    return false;
}

void MqttClient::Private::pingWhilePaused()
{
    // Every half keep-alive, so that the broker hears from us within its 1.5 keep-alives and libmosquitto's own
    // PINGREQ (queued, not written) is answered by ours within one: its check sees the PINGRESP and is content.
    const qint64 intervalMs = qint64(std::max(1, cfg.keepAliveSec)) * 500;
    if (!withholding || (pingWritten == 0 && lastPing.elapsed() < intervalMs))
        return;
    if (writePing())
        lastPing.start();  // else again at the next tick
}

bool MqttClient::Private::deliverHeld()
{
    // In arrival order, before anything newer is read; the handler may pause reading again half-way.
    QByteArray topic;
    QByteArray payload;
    while (!paused && held.takeFirst(topic, payload))
        q->deliver(topic, payload);
    return held.isEmpty();
}

void MqttClient::Private::resumeReading()
{
    if (paused || !deliverHeld())
        return;
    warnedHeldFull = false;
    if (!readNotifier)
        return;
    if (pingWritten > 0 && !writePing()) {
        QTimer::singleShot(10, q, [this] { resumeReading(); });  // finish our PINGREQ before libmosquitto writes
        return;
    }
    syncWithholding();  // the PUBACKs of what was just handed on go out now
    readNotifier->setEnabled(!stopping);
    updateWriteInterest();
    // Bytes libmosquitto already holds (e.g. decrypted TLS records) raise no notifier: read once now.
    if (!stopping)
        readReady();
}

void MqttClient::setReadingPaused(bool paused)
{
    if (d->paused == paused)
        return;
    d->paused = paused;
    if (paused) {
        d->syncWithholding();
        d->updateWriteInterest();  // what is queued must drain before holding back
        return;
    }
    // Not from inside the caller (the handler's own call stack): the held messages go to that same handler.
    QTimer::singleShot(0, this, [this] { d->resumeReading(); });
}

} // namespace iot
