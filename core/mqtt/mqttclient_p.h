// SPDX-License-Identifier: MIT
// MqttClient's private part, shared by mqttclient.cpp (connection) and mqttclientpause.cpp (paused reading).
#pragma once

#include "logging/log.h"
#include "mqtt/backoff.h"
#include "mqtt/heldmessages.h"
#include "mqtt/mqttclient.h"
#include "mqtt/orderlyclose.h"
#include "mqtt/sessiontakeover.h"
#include "mqtt/tlscontext.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSocketNotifier>
#include <QTimer>

#include <mosquitto.h>

#include <cstring>

namespace iot {

// One event-loop wake-up reads at most this many packets, so a flood cannot starve the thread's timers.
inline constexpr int MaxPacketsPerWakeup = 4096;
// What may be read and held while reading is paused; beyond it the socket is left unread again.
inline constexpr std::int64_t HeldMaxBytes = 16 << 20;

struct MqttClient::Private
{
    MqttClient *q;
    MqttConfig cfg;
    QByteArray clientId;
    mosquitto *mosq = nullptr;
    QSocketNotifier *readNotifier = nullptr;
    QSocketNotifier *writeNotifier = nullptr;
    QTimer miscTimer;
    QTimer retryTimer;
    QTimer stopTimer;
    Backoff backoff;
    std::unique_ptr<TlsContext> tls;  // with [mqtt] tls; outlives mosq, whose SSL objects call back into it
    OrderlyClose orderlyClose;        // from stop() on: the socket, so that it ends with FIN, not RST
    QString libraryError;             // libmosquitto's last error line this attempt ("OpenSSL Error[0]: ...")
    bool failed = false;              // State::Failed: nothing is tried any more
    QHash<int, QString> pendingSubscriptions;  // mid → filter, to name a refused one
    bool stopping = false;
    bool paused = false;
    bool stopEmitted = false;
    quint64 delivered = 0;  // PUBLISH packets read; tells readReady() whether a read made progress
    bool inRead = false;    // inside readReady's loop: libmosquitto's callbacks are on the stack
    std::uint32_t maxPacketBytes = 0;  // MQTT 5 CONNECT property (0: not sent)
    SessionTakeover takeover;
    QTimer settleTimer;  // a session that lasts SessionTakeover::ShortSessionUs ends a suspected takeover
    // Paused reading (mqttclientpause.cpp): the socket is still read, what arrives is held, libmosquitto's writes
    // (the PUBACKs) are held back, and our own PINGREQs keep the session alive.
    HeldMessages held{HeldMaxBytes};
    bool withholding = false;
    bool warnedHeldFull = false;
    int pingWritten = 0;    // bytes of the current PINGREQ written (0: none under way)
    QElapsedTimer lastPing;
    std::shared_ptr<spdlog::logger> log = log::get("mqtt");

    Private(MqttClient *qq, const MqttConfig &c, double base, double max)
        : q(qq), cfg(c), backoff(base, max)
    {
    }

    QString where() const { return cfg.host + QLatin1Char(':') + QString::number(cfg.port); }
    static QString mosqError(int rc);

    bool configure();
    void connectNow();
    void attachSocket();
    void detachSocket();
    void updateWriteInterest();
    void scheduleReconnect(Cause cause, const QString &reason, TlsProblem tlsProblem = TlsProblem::None);
    bool handleTlsFailure();
    void fail(Cause cause, TlsProblem tlsProblem, const QString &message);
    void loopFailed(int rc);
    bool connectFailedUnderneath();
    void finishStop();
    void readReady();
    void writeReady();
    void misc();
    void hold(QByteArrayView topic, QByteArrayView payload, int qos);
    void syncWithholding();
    void pingWhilePaused();
    bool writePing();
    void resumeReading();
    bool deliverHeld();

    void onConnect(int rc);
    void onDisconnect(int rc);
    void noteSessionLost(int rc);
    void onSubscribe(int mid, int count, const int *granted);

    static void cbConnect(mosquitto *, void *self, int rc) { static_cast<Private *>(self)->onConnect(rc); }
    static void cbLog(mosquitto *, void *self, int level, const char *text)
    {
        // libmosquitto says what went wrong (OpenSSL's errors among it) only here; the state takes its reasons
        // from TlsContext, this line is the fallback and the debug log.
        auto *d = static_cast<Private *>(self);
        if (level == MOSQ_LOG_ERR) {
            d->libraryError = QString::fromUtf8(text);
            d->log->debug("libmosquitto: {}", text);
        }
    }
    static void cbDisconnect(mosquitto *, void *self, int rc) { static_cast<Private *>(self)->onDisconnect(rc); }
    static void cbSubscribe(mosquitto *, void *self, int mid, int count, const int *granted)
    {
        static_cast<Private *>(self)->onSubscribe(mid, count, granted);
    }
    static void cbMessage(mosquitto *, void *self, const mosquitto_message *m)
    {
        auto *d = static_cast<Private *>(self);
        ++d->delivered;
        const QByteArrayView topic(m->topic, static_cast<qsizetype>(std::strlen(m->topic)));
        const QByteArrayView payload(static_cast<const char *>(m->payload), m->payloadlen);
        if (d->paused) {
            d->hold(topic, payload, m->qos);
            return;
        }
        // libmosquitto has only queued this message's PUBACK (readReady() writes it once this returns, the message
        // in the spool), one send() each. Not corked (TCP_CORK) into fewer segments, though that saved ~7 % of the
        // QoS 1 CPU: a kill -9 while the socket has unread data makes the kernel reset the connection and drop
        // every PUBACK still held back, and the broker then redelivers messages that are already in the spool —
        // up to a read burst of duplicates (tst_durability saw 99).
        d->q->deliver(topic, payload);
    }
};

} // namespace iot
