// SPDX-License-Identifier: MIT
// [mqtt] of the configuration: broker, client, topics with their QoS, protocol and TLS, with the checks across keys.
#include "config/configkeys.h"
#include "config/configloader.h"
#include "config/configsections.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace iot::configsections {

namespace {

using namespace std::string_view_literals;

constexpr std::array TopicEntryKeys{"filter"sv, "qos"sv};

const QString Mqtt = QStringLiteral("mqtt");

// Reads one topic filter (string or inline table) of `topics`; returns false when it is not usable.
bool readTopicEntry(TomlReader &reader, const toml::node &entry, const QString &key, int defaultQos,
                    TopicFilter &out, const toml::node *&filterNode)
{
    if (const auto *text = entry.as_string()) {
        out = {QString::fromStdString(text->get()), defaultQos};
        filterNode = &entry;
        return true;
    }
    if (const auto *table = entry.as_table()) {
        reader.rejectUnknownKeys(*table, key, TopicEntryKeys);
        filterNode = table->get("filter");
        if (!filterNode) {
            reader.fail(entry.source(), key, QStringLiteral("missing key \"filter\""));
            return false;
        }
        const auto filter = reader.string(*table, key, "filter");
        const auto qos = reader.integer(*table, key, "qos", 0, 2, QStringLiteral("an integer from 0 to 2"));
        if (!filter || (!qos && table->contains("qos")))
            return false;
        out = {*filter, int(qos.value_or(defaultQos))};
        return true;
    }
    reader.failExpected(entry, key, QStringLiteral("a topic filter string or { filter = \"...\", qos = N }"));
    return false;
}

void readTopics(TomlReader &reader, const toml::table &t, MqttConfig &mqtt)
{
    const auto qos = reader.integer(t, Mqtt, "qos", 0, 2, QStringLiteral("an integer from 0 to 2"));
    const int defaultQos = int(qos.value_or(MqttConfig{}.topics.constFirst().qos));
    const toml::node *topicNode = t.get("topic");
    const toml::node *topicsNode = t.get("topics");

    QList<TopicFilter> topics;
    auto add = [&](const TopicFilter &entry, const toml::node &where, const QString &key) {
        const QString problem = ConfigLoader::topicFilterProblem(entry.filter);
        if (!problem.isEmpty()) {
            reader.fail(where.source(), key,
                        QStringLiteral("invalid topic filter ") + TomlReader::quote(entry.filter) + QStringLiteral(": ")
                            + problem);
            return;
        }
        const bool duplicate = std::any_of(topics.cbegin(), topics.cend(),
                                           [&](const TopicFilter &f) { return f.filter == entry.filter; });
        if (duplicate) {
            reader.fail(where.source(), key, QStringLiteral("duplicate topic filter ") + TomlReader::quote(entry.filter));
            return;
        }
        topics.append(entry);
    };

    if (const auto topic = reader.string(t, Mqtt, "topic"))
        add({*topic, defaultQos}, *topicNode, QStringLiteral("mqtt.topic"));

    if (topicsNode) {
        if (const auto *array = topicsNode->as_array()) {
            if (array->empty() && !topicNode)
                reader.failExpected(*topicsNode, QStringLiteral("mqtt.topics"), QStringLiteral("at least one topic filter"));
            for (size_t i = 0; i < array->size(); ++i) {
                const QString key = QStringLiteral("mqtt.topics[%1]").arg(i);
                TopicFilter entry;
                const toml::node *filterNode = nullptr;
                if (readTopicEntry(reader, *array->get(i), key, defaultQos, entry, filterNode))
                    add(entry, *filterNode, filterNode == array->get(i) ? key : key + QStringLiteral(".filter"));
            }
        } else {
            reader.failExpected(*topicsNode, QStringLiteral("mqtt.topics"), QStringLiteral("an array of topic filters"));
        }
    }

    if (topicNode || topicsNode) {
        mqtt.topics = topics;
    } else if (qos) {
        // `qos` alone re-levels the built-in subscription
        for (TopicFilter &f : mqtt.topics)
            f.qos = defaultQos;
    }
}

} // namespace

void readMqtt(TomlReader &reader, const toml::table &t, MqttConfig &mqtt)
{
    reader.rejectUnknownKeys(t, Mqtt, ConfigKeys::of(Mqtt.toStdString()));
    if (auto v = reader.string(t, Mqtt, "host", true))
        mqtt.host = *v;
    if (auto v = reader.integer(t, Mqtt, "port", 1, 65535, portRange(1)))
        mqtt.port = int(*v);
    readTopics(reader, t, mqtt);
    if (auto v = reader.string(t, Mqtt, "client_id"))
        mqtt.clientId = *v;
    if (auto v = reader.string(t, Mqtt, "username"))
        mqtt.username = *v;
    if (auto v = reader.string(t, Mqtt, "password", false, true))
        mqtt.password = *v;
    if (auto v = reader.integer(t, Mqtt, "keepalive", 5, 65535, portRange(5)))
        mqtt.keepAliveSec = int(*v);
    if (auto v = reader.boolean(t, Mqtt, "clean_session"))
        mqtt.cleanSession = *v;
    if (auto v = reader.integer(t, Mqtt, "session_expiry_sec", 0, IntMax, QStringLiteral("a non-negative integer")))
        mqtt.sessionExpirySec = int(*v);

    if (const toml::node *node = t.get("protocol")) {
        const auto *text = node->as_string();
        const auto *number = node->as_integer();
        if (text && text->get() == "3.1.1")
            mqtt.protocolVersion = 4;
        else if (text && text->get() == "5")
            mqtt.protocolVersion = 5;
        else if (number && (number->get() == 4 || number->get() == 5))
            mqtt.protocolVersion = int(number->get());
        else
            reader.failExpected(*node, QStringLiteral("mqtt.protocol"), QStringLiteral("\"3.1.1\" or \"5\""));
    }

    const auto tls = reader.boolean(t, Mqtt, "tls");
    const auto caFile = reader.string(t, Mqtt, "tls_ca_file");
    const auto certFile = reader.string(t, Mqtt, "tls_cert_file");
    const auto keyFile = reader.string(t, Mqtt, "tls_key_file");
    mqtt.tls = tls.value_or(mqtt.tls);
    mqtt.tlsCaFile = caFile.value_or(mqtt.tlsCaFile);
    mqtt.tlsCertFile = certFile.value_or(mqtt.tlsCertFile);
    mqtt.tlsKeyFile = keyFile.value_or(mqtt.tlsKeyFile);
    if (auto v = reader.boolean(t, Mqtt, "tls_verify"))
        mqtt.tlsVerify = *v;
    const auto minVersion = reader.string(t, Mqtt, "tls_min_version");
    if (minVersion && (minVersion->isEmpty() || *minVersion == u"1.2" || *minVersion == u"1.3"))
        mqtt.tlsMinVersion = *minVersion;
    else if (minVersion)
        reader.failExpected(*t.get("tls_min_version"), QStringLiteral("mqtt.tls_min_version"),
                            QStringLiteral("\"1.2\", \"1.3\" or \"\" (OpenSSL's default)"));
    // The cipher list itself is checked by OpenSSL when the TLS context is made (a Settings problem, exit 2).
    const auto ciphers = reader.string(t, Mqtt, "tls_ciphers");
    mqtt.tlsCiphers = ciphers.value_or(mqtt.tlsCiphers);

    // The checks across keys run only on keys that read well, so a type error is not reported twice over.
    const auto usable = [&t](std::string_view key, const auto &value) { return !t.contains(key) || value; };
    // A client certificate is useless without its key and vice versa; say so before the handshake fails.
    if (usable("tls_key_file", keyFile) && !mqtt.tlsCertFile.isEmpty() && mqtt.tlsKeyFile.isEmpty())
        reader.fail(t.get("tls_cert_file")->source(), QStringLiteral("mqtt.tls_cert_file"),
                    QStringLiteral("tls_key_file must be given as well"));
    if (usable("tls_cert_file", certFile) && mqtt.tlsCertFile.isEmpty() && !mqtt.tlsKeyFile.isEmpty())
        reader.fail(t.get("tls_key_file")->source(), QStringLiteral("mqtt.tls_key_file"),
                    QStringLiteral("tls_cert_file must be given as well"));
    // TLS files with tls = false would silently connect in plain text: refuse rather than guess.
    if (usable("tls", tls) && !mqtt.tls) {
        for (const auto &[key, value] : {std::pair{"tls_ca_file"sv, caFile}, std::pair{"tls_cert_file"sv, certFile},
                                         std::pair{"tls_key_file"sv, keyFile}, std::pair{"tls_min_version"sv, minVersion},
                                         std::pair{"tls_ciphers"sv, ciphers}}) {
            if (value && !value->isEmpty())
                reader.fail(t.get(key)->source(), TomlReader::keyPath(Mqtt, key),
                            QStringLiteral("needs tls = true (the connection would not use it)"));
        }
    }
}

} // namespace iot::configsections
