// SPDX-License-Identifier: MIT
#include "mqtt/mqttclient.h"

#include "mqtt/mqttclient_p.h"
#include "util/timeformat.h"

#include <QSysInfo>

#include <mqtt_protocol.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace iot {

namespace {

constexpr int MiscIntervalMs = 1000;
constexpr int StopGraceMs = 2000;

} // namespace

QString MqttClient::Private::mosqError(int rc)
{
    if (rc == MOSQ_ERR_ERRNO)
        return QString::fromLocal8Bit(std::strerror(errno));
    return QString::fromUtf8(mosquitto_strerror(rc));
}

void MqttClient::initLibrary()
{
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

MqttClient::MqttClient(const MqttConfig &config, double reconnectDelaySec, double reconnectMaxDelaySec,
                       int maxPayloadBytes, QObject *parent)
    : MessageSource(parent), d(std::make_unique<Private>(this, config, reconnectDelaySec, reconnectMaxDelaySec))
{
    initLibrary();
    d->maxPacketBytes = maxPacketBytes(maxPayloadBytes);
    d->clientId = clientIdFor(config).toUtf8();
    for (QTimer *t : {&d->miscTimer, &d->retryTimer, &d->stopTimer, &d->settleTimer})
        t->setParent(this);  // follow the client if it is ever moved to another thread
    d->miscTimer.setInterval(MiscIntervalMs);
    d->settleTimer.setSingleShot(true);
    d->settleTimer.setInterval(int(SessionTakeover::ShortSessionUs / 1000));
    connect(&d->settleTimer, &QTimer::timeout, this, [this] {
        if (d->takeover.suspected())
            d->log->info("our session has lasted {} s: the broker no longer takes it over",
                         SessionTakeover::ShortSessionUs / 1000000);
        d->takeover.settled();
        setSessionsTakenOver(0, false);
    });
    d->retryTimer.setSingleShot(true);
    d->stopTimer.setSingleShot(true);
    connect(&d->miscTimer, &QTimer::timeout, this, [this] { d->misc(); });
    connect(&d->retryTimer, &QTimer::timeout, this, [this] { d->connectNow(); });
    connect(&d->stopTimer, &QTimer::timeout, this, [this] {
        d->log->warn("broker did not confirm the disconnect in time; closing");
        d->finishStop();
    });
}

MqttClient::~MqttClient()
{
    d->detachSocket();
    if (d->mosq)
        mosquitto_destroy(d->mosq);
}

QString MqttClient::clientIdFor(const MqttConfig &config)
{
    return config.clientId.isEmpty() ? QStringLiteral("iot-subscriber-") + QSysInfo::machineHostName()
                                     : config.clientId;
}

bool MqttClient::Private::configure()
{
    // A persistent session needs a stable id; the broker keys the session (and its queued messages) by it.
    mosq = mosquitto_new(clientId.constData(), cfg.cleanSession, this);
    if (!mosq) {
        log->error("cannot create MQTT client: {}", std::strerror(errno));
        return false;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         cfg.protocolVersion == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(mosq, &Private::cbConnect);
    mosquitto_disconnect_callback_set(mosq, &Private::cbDisconnect);
    mosquitto_subscribe_callback_set(mosq, &Private::cbSubscribe);
    mosquitto_message_callback_set(mosq, &Private::cbMessage);
    if (!cfg.username.isEmpty()) {
        const int rc = mosquitto_username_pw_set(mosq, cfg.username.toUtf8().constData(),
                                                 cfg.password.isEmpty() ? nullptr : cfg.password.toUtf8().constData());
        if (rc != MOSQ_ERR_SUCCESS) {
            log->error("invalid MQTT credentials setting: {}", mosqError(rc));
            return false;
        }
    }
    if (cfg.tls) {
        // Our own SSL_CTX: mosquitto_tls_set() refuses the system store without a CA path, and the context lets
        // us read why a handshake failed (verification result, the broker's alert) as values.
        TlsContext::Problem problem;
        tls = TlsContext::create(cfg, &problem);
        if (!tls) {
            fail(Cause::Tls, problem.kind, problem.message);
            return false;
        }
        for (const QString &w : tls->warnings())
            log->warn("{}", w);
        mosquitto_int_option(mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
        const int rc = mosquitto_void_option(mosq, MOSQ_OPT_SSL_CTX, tls->sslContext());
        if (rc != MOSQ_ERR_SUCCESS) {
            fail(Cause::SetupFailed, TlsProblem::None, QStringLiteral("TLS setup failed: ") + mosqError(rc));
            return false;
        }
    }
    return true;
}

void MqttClient::start()
{
    if (d->mosq)
        return;
    d->stopping = false;
    d->stopEmitted = false;
    if (!d->configure()) {
        if (!d->failed)
            d->fail(Cause::SetupFailed, TlsProblem::None, QString());
        return;
    }
    d->connectNow();
}

std::uint32_t MqttClient::maxPacketBytes(int maxPayloadBytes)
{
    if (maxPayloadBytes <= 0)
        return 0;
    // Room for the longest topic (65,535 bytes), the headers and some properties, so a payload just over
    // max_payload_bytes still arrives and is dead-lettered with its reason; only far larger ones are refused.
    constexpr std::uint64_t Overhead = 64 << 10;
    constexpr std::uint64_t MqttMax = 268435455 + 5;  // the largest remaining length plus the fixed header
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t(maxPayloadBytes) + Overhead, MqttMax));
}

void MqttClient::Private::connectNow()
{
    if (stopping || failed || !mosq)
        return;
    if (tls)
        tls->resetHandshake();
    libraryError.clear();
    mosquitto_log_callback_set(mosq, &Private::cbLog);  // an attempt's failure takes libmosquitto's words
    q->setState({.state = State::Connecting, .endpoint = where()});
    log->info("connecting to {} as client id {} (MQTT {}, {} session)", where(), clientId,
              cfg.protocolVersion == 5 ? "5" : "3.1.1", cfg.cleanSession ? "clean" : "persistent");
    const QByteArray host = cfg.host.toUtf8();
    int rc;
    if (cfg.protocolVersion == 5) {
        // libmosquitto has no asynchronous connect that takes CONNECT properties, and without a session expiry
        // interval an MQTT 5 broker ends a "persistent" session at disconnect. So MQTT 5 connects block this
        // (ingest) thread for the TCP handshake — never the GUI or the writer.
        mosquitto_property *props = nullptr;
        if (!cfg.cleanSession)
            mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                         static_cast<uint32_t>(cfg.sessionExpirySec));
        // The broker then never sends us a larger PUBLISH, so libmosquitto (which allocates every incoming packet
        // whole, up to MQTT's 256 MiB) never holds one. MQTT 5 makes the broker discard such a message for this
        // client as if delivered: it reaches neither the readings nor the dead-letter table (mosquitto logs it).
        // MQTT 3.1.1 has no such field and libmosquitto 2.0.11 no client option to refuse large packets: there
        // only the broker's own max_packet_size / message_size_limit bounds them.
        if (maxPacketBytes > 0)
            mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE, maxPacketBytes);
        rc = mosquitto_connect_bind_v5(mosq, host.constData(), cfg.port, cfg.keepAliveSec, nullptr, props);
        mosquitto_property_free_all(&props);
    } else {
        rc = mosquitto_connect_async(mosq, host.constData(), cfg.port, cfg.keepAliveSec);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        if (!handleTlsFailure())
            scheduleReconnect(Cause::ConnectFailed, mosqError(rc));
        return;
    }
    attachSocket();
    updateWriteInterest();
}

void MqttClient::Private::attachSocket()
{
    detachSocket();
    const int fd = mosquitto_socket(mosq);
    if (fd < 0)
        return;
    pingWritten = 0;  // a PINGREQ of ours left unfinished belonged to the old connection
    readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, q);
    writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, q);
    QObject::connect(readNotifier, &QSocketNotifier::activated, q, [this] { readReady(); });
    QObject::connect(writeNotifier, &QSocketNotifier::activated, q, [this] { writeReady(); });
    readNotifier->setEnabled(!(paused && held.full()));
    writeNotifier->setEnabled(false);
    miscTimer.start();
}

void MqttClient::Private::detachSocket()
{
    // libmosquitto closes the socket right after its disconnect callback: stop watching the fd first, and delete the
    // notifiers later because we may be inside one of their signals.
    for (QSocketNotifier **n : {&readNotifier, &writeNotifier}) {
        if (*n) {
            (*n)->setEnabled(false);
            (*n)->deleteLater();
            *n = nullptr;
        }
    }
    miscTimer.stop();
}

void MqttClient::Private::updateWriteInterest()
{
    if (writeNotifier)
        writeNotifier->setEnabled(!withholding && mosquitto_want_write(mosq));
}

bool MqttClient::Private::connectFailedUnderneath()
{
    // libmosquitto's TLS connect takes a socket error (SSL_ERROR_SYSCALL: refused, reset) for "try again", and a
    // refused socket wakes the read notifier without end: look at the socket itself and retry as for any network
    // failure. What the broker sent first is read first: its alert says more than the reset that follows it.
    const int fd = mosquitto_socket(mosq);
    if (fd < 0)
        return false;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = 0;
    char byte;
    if (::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        return false;
    tcp_info ti{};
    socklen_t tlen = sizeof ti;
    const bool closed = ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0 && ti.tcpi_state == TCP_CLOSE;
    if (err == 0 && !closed)
        return false;
    detachSocket();
    scheduleReconnect(Cause::ConnectFailed, err != 0 ? QString::fromLocal8Bit(std::strerror(err))
                                                     : QStringLiteral("connection refused or reset"));
    return true;
}

void MqttClient::Private::readReady()
{
    if (tls && q->state() == State::Connecting && connectFailedUnderneath())
        return;
    // mosquitto_loop_read handles one packet per call; calling it until the socket is drained saves an event-loop
    // round trip per message. "Drained" is a call that delivered no message (EAGAIN, a partial packet, or a control
    // packet; the notifier fires again if more is waiting). errno cannot tell: at QoS 1 every PUBACK also writes a
    // byte to libmosquitto's wake-up socket pair, which nobody reads in our loop, so that write fails with EAGAIN
    // once the pair is full — and an errno test then ended the loop after every single message.
    // Paused and connected, only with libmosquitto's writes held back (a message read then is not acknowledged
    // until it is handed on); while connecting, the CONNACK is read whatever happens.
    // Spool first, PUBACK after: libmosquitto 2.0 writes a QoS 1 PUBACK *before* it calls the message callback,
    // so a kill -9 between the two lost a message the broker had already let go of (tst_durability saw 19,999 of
    // 20,000). Each read runs in libmosquitto's "threaded" mode, where the PUBACK is only queued; it is written
    // right after the read returns, when the message is in the spool. A kill -9 in between now costs a duplicate
    // (the broker sends it again) instead of a loss. One write per message, as before: held back for a whole burst,
    // a kill -9 would make the broker send the whole burst again.
    int rc = MOSQ_ERR_SUCCESS;
    inRead = true;
    for (int i = 0; i < MaxPacketsPerWakeup && readNotifier
                    && (!paused || q->state() != State::Connected || (withholding && !held.full()));
         ++i) {
        const quint64 before = delivered;
        const bool ackAfter = !withholding;
        if (ackAfter)
            mosquitto_threaded_set(mosq, true);
        rc = mosquitto_loop_read(mosq, 1);
        if (ackAfter) {
            mosquitto_threaded_set(mosq, false);
            if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(mosq))
                rc = mosquitto_loop_write(mosq, 1);
        }
        if (rc != MOSQ_ERR_SUCCESS || delivered == before)
            break;
    }
    inRead = false;
    loopFailed(rc);
    syncWithholding();  // paused from inside the loop, or a CONNACK arrived while paused
    updateWriteInterest();
}

void MqttClient::Private::writeReady()
{
    if (tls && q->state() == State::Connecting && connectFailedUnderneath())
        return;
    loopFailed(mosquitto_loop_write(mosq, 1));
    syncWithholding();  // waiting for the queue to drain before holding back
    updateWriteInterest();
}

void MqttClient::Private::loopFailed(int rc)
{
    // A failed TLS handshake step closes the socket; not every path through libmosquitto reports that through
    // the disconnect callback, and a closed socket raises no notifier: report it here so the attempt ends.
    if (rc != MOSQ_ERR_SUCCESS && readNotifier && mosquitto_socket(mosq) < 0)
        onDisconnect(rc);
}

void MqttClient::Private::misc()
{
    mosquitto_loop_misc(mosq);  // keep-alive; a timed-out broker ends in onDisconnect
    pingWhilePaused();
    updateWriteInterest();
}

void MqttClient::Private::onConnect(int rc)
{
    if (rc != 0) {
        const QString reason = QString::fromUtf8(mosquitto_connack_string(rc));
        log->error("broker {} refused the connection: {}", where(), reason);
        Q_EMIT q->errorOccurred(QStringLiteral("broker refused the connection: ") + reason);
        return;  // libmosquitto reports the disconnect next; the back-off retries from there
    }
    backoff.reset();
    // Connected, libmosquitto's log is read for nothing but our debug log: without a callback it does not format
    // its lines at all, and it formats two for every QoS 1 message (received PUBLISH, sending PUBACK) — under
    // callgrind ~2,950 instructions a message, ~29 % of the subscriber's whole cost per message.
    if (!log->should_log(spdlog::level::debug))
        mosquitto_log_callback_set(mosq, nullptr);
    takeover.connected(TimeFormat::nowUs());
    settleTimer.start();
    q->setState({.state = State::Connected, .endpoint = where()});
    log->info("connected to {}", where());
    pendingSubscriptions.clear();
    // Always (re)subscribe: a clean session has none, and for a persistent one it is idempotent.
    for (const TopicFilter &t : std::as_const(cfg.topics)) {
        int mid = 0;
        const QByteArray filter = t.filter.toUtf8();
        const int src = cfg.protocolVersion == 5
            ? mosquitto_subscribe_v5(mosq, &mid, filter.constData(), t.qos, 0, nullptr)
            : mosquitto_subscribe(mosq, &mid, filter.constData(), t.qos);
        if (src != MOSQ_ERR_SUCCESS) {
            log->error("cannot subscribe to {}: {}", t.filter, mosqError(src));
            Q_EMIT q->errorOccurred(QStringLiteral("cannot subscribe to ") + t.filter);
        } else {
            pendingSubscriptions.insert(mid, t.filter);
        }
    }
}

void MqttClient::Private::onSubscribe(int mid, int count, const int *granted)
{
    const QString filter = pendingSubscriptions.take(mid);
    for (int i = 0; i < count; ++i) {
        if (granted[i] >= 0x80) {
            log->error("broker refused the subscription to {}", filter);
            Q_EMIT q->errorOccurred(QStringLiteral("broker refused the subscription to ") + filter);
        } else {
            log->info("subscribed to {} (granted QoS {})", filter, granted[i]);
        }
    }
}

void MqttClient::Private::onDisconnect(int rc)
{
    const bool wasConnected = q->state() == State::Connected;
    detachSocket();
    syncWithholding();  // libmosquitto drops its queued packets (the held-back PUBACKs) at the next connect
    // Held QoS 1 messages were never acknowledged: a persistent session sends them again, so keeping them would
    // duplicate them. A clean session forgets them: then ours are the only copy.
    if (!cfg.cleanSession) {
        if (const std::size_t n = held.dropUnacknowledged())
            log->info("{} messages held while reading was paused were not acknowledged; the broker sends them "
                      "again",
                      n);
    }
    if (stopping) {
        finishStop();
        return;
    }
    if (wasConnected)
        noteSessionLost(rc);
    if (!wasConnected && handleTlsFailure())
        return;
    QString reason = rc == 0 ? QStringLiteral("disconnected") : mosqError(rc);
    // An attempt that ended before the broker answered: libmosquitto's own words (OpenSSL's error) say more.
    if (!wasConnected && !libraryError.isEmpty())
        reason += QStringLiteral(" (") + libraryError + QLatin1Char(')');
    scheduleReconnect(Cause::ConnectionLost, reason);
}

void MqttClient::Private::noteSessionLost(int rc)
{
    settleTimer.stop();
    const bool started = takeover.lost(TimeFormat::nowUs(), rc);
    if (!takeover.suspected())
        return;
    q->setSessionsTakenOver(takeover.shortSessions(), takeover.brokerSaidSo());
    if (started)
        log->warn("{} (client id {})", q->stateInfo().takeoverText(), clientId.constData());
}

bool MqttClient::Private::handleTlsFailure()
{
    // Only a refusal is a TLS failure: a connection refused, reset or timed out during the handshake leaves no
    // problem behind and is retried as any network failure.
    const TlsContext::Problem p = tls ? tls->handshakeProblem() : TlsContext::Problem{};
    if (p.kind == TlsProblem::None)
        return false;
    if (MessageSource::isConfigProblem(p.kind))
        fail(Cause::Tls, p.kind, p.message);
    else
        scheduleReconnect(Cause::Tls, p.message, p.kind);
    return true;
}

void MqttClient::Private::fail(Cause cause, TlsProblem tlsProblem, const QString &message)
{
    failed = true;
    retryTimer.stop();
    detachSocket();
    const StateInfo info{.state = State::Failed, .endpoint = where(), .cause = cause, .tls = tlsProblem, .message = message};
    log->critical("{}; retrying cannot fix this: fix the configuration ([mqtt] tls_*, host) or the broker's "
                  "certificate{}",
                  info.detail(), libraryError.isEmpty() ? QString() : QStringLiteral(" (libmosquitto: %1)").arg(libraryError));
    q->setState(info);
    Q_EMIT q->errorOccurred(info.detail());
}

void MqttClient::Private::scheduleReconnect(Cause cause, const QString &reason, TlsProblem tlsProblem)
{
    const int delayMs = backoff.nextDelayMs();
    log->warn("connection to {} lost or failed ({}); retry {} in {:.1f} s", where(), reason, backoff.attempt(),
              delayMs / 1000.0);
    q->setState({.state = State::Reconnecting,
                 .endpoint = where(),
                 .attempt = backoff.attempt(),
                 .retryDelayUs = qint64(delayMs) * 1000,
                 .cause = cause,
                 .tls = tlsProblem,
                 .message = reason});
    Q_EMIT q->errorOccurred(reason);
    retryTimer.start(delayMs);
}

void MqttClient::Private::finishStop()
{
    stopTimer.stop();
    detachSocket();
    if (orderlyClose.holding()) {
        const bool orderly = orderlyClose.finish(StopGraceMs);
        log->debug("connection closed {}; {} bytes the broker sent after our DISCONNECT discarded (not acknowledged, "
                   "so it sends them again)", orderly ? "in order" : "without the broker's FIN", orderlyClose.discarded());
    }
    if (stopEmitted)
        return;
    stopEmitted = true;
    q->setState({.state = State::Disconnected, .endpoint = where(), .cause = Cause::Stopped});
    Q_EMIT q->stopped();
}

void MqttClient::stop()
{
    if (d->stopping)
        return;
    d->stopping = true;
    d->retryTimer.stop();
    setState({.state = State::Stopping, .endpoint = d->where()});
    if (!d->mosq || !d->readNotifier) {
        d->finishStop();
        return;
    }
    // No UNSUBSCRIBE: with a persistent session the broker must keep queueing for us while we are down.
    d->readNotifier->setEnabled(false);
    // Messages held while paused are handed on first (the engine takes whatever it is given), so that their
    // PUBACKs, written before the DISCONNECT, acknowledge nothing that is nowhere else.
    const bool wasPaused = std::exchange(d->paused, false);
    d->deliverHeld();
    d->paused = wasPaused;
    d->syncWithholding();
    d->orderlyClose.hold(mosquitto_socket(d->mosq));
    if (d->pingWritten > 0 && !d->writePing()) {
        d->finishStop();  // a PINGREQ half written: nothing more can go on this connection
        return;
    }
    const int rc = d->cfg.protocolVersion == 5 ? mosquitto_disconnect_v5(d->mosq, 0, nullptr)
                                               : mosquitto_disconnect(d->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        d->finishStop();
        return;
    }
    d->updateWriteInterest();
    if (!d->stopEmitted)
        d->stopTimer.start(StopGraceMs);
}

void MqttClient::reconnectNow()
{
    if (d->stopping || d->failed || !d->mosq)
        return;
    d->backoff.reset();
    if (state() == State::Reconnecting) {
        d->retryTimer.stop();
        d->connectNow();
    } else if (d->withholding) {
        // Not a DISCONNECT: the held-back PUBACKs before it would acknowledge the held messages, which are
        // dropped with this connection. Cut underneath libmosquitto; the broker sends them again.
        ::shutdown(mosquitto_socket(d->mosq), SHUT_RDWR);
    } else if (state() == State::Connected) {
        mosquitto_disconnect(d->mosq);  // onDisconnect schedules the retry at the base delay
    }
}

} // namespace iot
