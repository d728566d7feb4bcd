#!/bin/bash
# SPDX-License-Identifier: MIT
# Creates the cluster on the first start (empty volume), then becomes the server (exec: signals reach it directly).
# STOPSIGNAL SIGINT = PostgreSQL's "fast" shutdown: it ends sessions and checkpoints, so a stop loses nothing committed.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    [[ -n "${POSTGRES_PASSWORD:-}" ]] || { echo "postgres-entrypoint: POSTGRES_PASSWORD is empty" >&2; exit 2; }
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    # Other containers reach it over the compose network: password authentication for every address.
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" \
        | "$bin/postgres" --single -D "$PGDATA" -j postgres >/dev/null
    echo "postgres-entrypoint: created cluster, user $POSTGRES_USER, database $POSTGRES_DB"
fi
exec "$bin/postgres" -D "$PGDATA" -p "$PGPORT" -c "listen_addresses=$PG_LISTEN" -k /tmp "$@"
