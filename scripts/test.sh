#!/usr/bin/env bash
# Run every test: on SQLite, then on PostgreSQL (DATABASE_URL, or a throwaway cluster started
# here when PostgreSQL's binaries are on the machine). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system_packages.sh chromium

export DJANGO_SETTINGS_MODULE=config.settings_test
.venv/bin/python manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

echo "== Tests on SQLite =="
env -u DATABASE_URL .venv/bin/pytest "$@"

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
if [ -n "${DATABASE_URL:-}" ]; then
  echo "== Tests on PostgreSQL (DATABASE_URL) =="
  .venv/bin/pytest "$@"
elif [ -n "$pg_bin" ]; then
  echo "== Tests on PostgreSQL (throwaway cluster, $("$pg_bin/postgres" --version)) =="
  bash scripts/with_postgres.sh "$pg_bin" .venv/bin/pytest "$@"
else
  echo "PostgreSQL binaries not found: the PostgreSQL run is skipped (install postgresql to include it)."
fi
