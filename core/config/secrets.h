// SPDX-License-Identifier: MIT
#pragma once

#include "config/config.h"

#include <QString>
#include <QStringList>

namespace iot {

/// Masking of secrets wherever they could surface (logs, --check-config, the settings editor, traces, the window):
/// which keys are secret is listed once, in ConfigKeys; this is the one place that hides them. Pure functions, any
/// thread.
namespace Secrets {

/// What a set secret reads as: "********".
QString mask();
/// What a secret taken from the environment (IOT_MQTT_PASSWORD, ...) reads as: "(from environment)".
QString fromEnvironment();

/// True for query parameter names that carry credentials: token, access_token, api_key, secret, password, sig, ...
bool isSecretParameter(const QString &name);
/// `url` with the userinfo password and the values of token-like query parameters replaced by mask(); unchanged
/// when it has neither (or is not a URL).
QString maskUrl(const QString &url);
/// The secret parts of `url` (password, token values), decoded and as written, for scrub().
QStringList ofUrl(const QString &url);
/// Every secret value of `config`: the secret keys' values and the secret parts of URL-valued keys.
QStringList of(const Config &config);
/// `text` with every occurrence of each secret (3 characters or more; shorter ones would mangle the text and
/// could not be told from it anyway) replaced by mask(): the last line of defence for free text from libraries.
QString scrub(QString text, const QStringList &secrets);

/// config.toml text with the values of secret keys masked (mask(), or maskUrl() for URL-valued keys): what the
/// settings editor shows. Text that does not parse is returned with nothing masked only if it has no secret
/// keys' lines; otherwise those lines' values are blanked by line, so a typo never reveals a password.
QString maskToml(const QString &toml);
/// `edited` (the editor's text, from maskToml(original)) with every secret value still reading as mask() (or
/// its masked URL) put back to the value it has in `original`: saving an untouched field keeps the stored secret.
/// A secret the user typed is kept as typed.
QString restoreToml(const QString &edited, const QString &original);
/// The secret keys ("mqtt.password") whose value in `toml` still reads as mask(): nothing to restore them from
/// (the file did not parse when it was masked) — saving them would store the mask as the password.
QStringList stillMasked(const QString &toml);

} // namespace Secrets
} // namespace iot
