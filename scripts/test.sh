#!/usr/bin/env bash
# Run every test: on SQLite, then on PostgreSQL (DATABASE_URL, or a throwaway cluster started
# here when PostgreSQL's binaries are on the machine). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_pkgs+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need_pkgs+=(gettext)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${need_pkgs[*]} from Debian's packages…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "Missing: ${need_pkgs[*]}. Install them (sudo apt-get install ${need_pkgs[*]}) and run make test again." >&2
    exit 1
  fi
fi

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
