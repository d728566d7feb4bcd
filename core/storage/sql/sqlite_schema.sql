-- Created at start-up when missing. ${...} are identifiers from config.toml, validated and quoted by the program.
-- received_at is ISO-8601 UTC text ("2026-11-27T02:21:05.123456Z"), which sorts and compares in time order;
-- payload is JSON text, queryable with SQLite's json_extract().
CREATE TABLE IF NOT EXISTS ${table} (
    received_at TEXT NOT NULL,
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${table_index_time} ON ${table} (received_at);

CREATE TABLE IF NOT EXISTS ${dead_letter_table} (
    id          INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    topic       TEXT NOT NULL,
    payload     BLOB NOT NULL,
    reason      TEXT NOT NULL,
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- How far into this instance's spool the database has everything: written in the same transaction as the rows,
-- so a restart replays exactly what is missing. One row per spool (instance), keyed by its MQTT client id.
CREATE TABLE IF NOT EXISTS iot_subscriber_checkpoints (
    spool_id   TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
