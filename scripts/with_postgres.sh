#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1, run the given command with DATABASE_URL
# pointing at it, then remove the cluster. Usage: with_postgres.sh PG_BIN_DIR COMMAND…
set -euo pipefail
pg_bin="$1"; shift
dir="$(mktemp -d /tmp/shouhu-pg.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run it as the postgres user (or nobody).
  pg_user=postgres; id postgres >/dev/null 2>&1 || pg_user=nobody
  chown "$pg_user" "$dir"
  as_pg=(runuser -u "$pg_user" --)
fi
cleanup() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U shouhu --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U shouhu shouhu
DATABASE_URL="postgres://shouhu@127.0.0.1:$port/shouhu" "$@"
