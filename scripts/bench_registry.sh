#!/usr/bin/env bash
# The registry benchmark (make bench-registry): 100,000 synthetic children loaded into a fresh
# SQLite file, then into a throwaway PostgreSQL cluster when PostgreSQL's binaries are on the
# machine; searches, lists, the dossier page and the ledger export timed on each (see
# bench/registry_bench.py and docs/benchmarks.md). Never touches var/ or an existing DATABASE_URL.
# BENCH_CHILDREN, BENCH_REQUESTS, BENCH_SEED and BENCH_EXPLAIN=1 are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."

export DJANGO_SETTINGS_MODULE=config.settings_test BENCH=1 DEBUG=false
if [ -n "${DATABASE_URL:-}" ]; then
  echo "Note: DATABASE_URL is ignored; the benchmark only fills databases it creates itself."
fi

echo "nproc: $(nproc); $(.venv/bin/python --version)"

tmp="$(mktemp -d /tmp/shouhu-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
echo
DATABASE_URL="sqlite:///$tmp/bench.sqlite3" .venv/bin/python -m bench.registry_bench
rm -f "$tmp"/bench.sqlite3*

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
echo
if [ -n "$pg_bin" ]; then
  env -u DATABASE_URL bash scripts/with_postgres.sh "$pg_bin" .venv/bin/python -m bench.registry_bench
else
  echo "PostgreSQL binaries not found: the PostgreSQL run is skipped (install postgresql to include it)."
fi
