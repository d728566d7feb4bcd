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

-- How far into a spool directory the database has everything: written in the same transaction as the rows, so a
-- restart replays exactly what is missing. One row per spool directory, keyed by the random id in its SPOOL_ID
-- file. (iot_subscriber_checkpoints, keyed by the MQTT client id, is the table of older versions: never created or
-- written now; a spool of such a version moves its client id's row here once, see docs/architecture.md.)
CREATE TABLE IF NOT EXISTS iot_subscriber_spool_checkpoints (
    spool_id   TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
