-- Created at start-up when missing. ${...} are identifiers from config.toml, validated and quoted by the program.
-- No primary key on readings: an append-only time series is queried by time and topic, and every extra b-tree
-- costs ingest speed. A BRIN index on the receive time is tiny and fits rows that arrive in time order.
CREATE TABLE IF NOT EXISTS ${table} (
    received_at timestamptz NOT NULL,
    topic       text        NOT NULL,
    payload     jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS ${table_index_time} ON ${table} USING brin (received_at);

-- Messages that could not be stored as readings, byte for byte, with the reason.
CREATE TABLE IF NOT EXISTS ${dead_letter_table} (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    topic       text        NOT NULL,
    payload     bytea       NOT NULL,
    reason      text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- How far into a spool directory the database has everything: written in the same transaction as the rows, so a
-- restart replays exactly what is missing. One row per spool directory, keyed by the random id in its SPOOL_ID
-- file. (iot_subscriber_checkpoints, keyed by the MQTT client id, is the table of older versions: never created or
-- written now; a spool of such a version moves its client id's row here once, see docs/architecture.md.)
CREATE TABLE IF NOT EXISTS iot_subscriber_spool_checkpoints (
    spool_id   text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
