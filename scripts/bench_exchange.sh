#!/usr/bin/env bash
# The exchange benchmark (make bench-exchange): a synthetic 户籍 CSV imported on a fresh SQLite file
# and on a throwaway PostgreSQL cluster (against raw COPY / executemany and django-import-export),
# reconciliation of 1,000,000 registry children against a 1,000,000-person 户籍 extract, and the
# matcher against splink 5 on a 50,000-person sample; then a table, and the figures written to
# docs/exchange-benchmarks.md (see bench/exchange_bench.py). Never touches var/ or an existing
# DATABASE_URL.
#
# Sizes and settings (environment): BENCH_IMPORT_ROWS (200000), BENCH_IMPORT_RUNS (3), BENCH_IE_ROWS
# (20000, django-import-export), BENCH_IMPORT_ENCODING (utf-8; gbk), BENCH_MATCH_ROWS (1000000 户籍
# people), BENCH_REGISTRY_ROWS (= BENCH_MATCH_ROWS), BENCH_SPLINK_ROWS (50000), BENCH_SEED (2026),
# BENCH_PARTS ("sqlite postgres match splink"), BENCH_WRITE_DOC (1; 0 prints only).
# A quick run: BENCH_IMPORT_ROWS=20000 BENCH_MATCH_ROWS=20000 BENCH_SPLINK_ROWS=10000 make bench-exchange
set -euo pipefail
cd "$(dirname "$0")/.."

export DJANGO_SETTINGS_MODULE=config.settings_test BENCH=1 DEBUG=false
export BENCH_IMPORT_ROWS="${BENCH_IMPORT_ROWS:-200000}"
export BENCH_MATCH_ROWS="${BENCH_MATCH_ROWS:-1000000}"
export BENCH_SPLINK_ROWS="${BENCH_SPLINK_ROWS:-50000}"
parts="${BENCH_PARTS:-sqlite postgres match splink}"
python=.venv/bin/python

if [ -n "${DATABASE_URL:-}" ]; then
  echo "Note: DATABASE_URL is ignored; the benchmark only fills databases it creates itself."
fi
sizes="BENCH_IMPORT_ROWS=$BENCH_IMPORT_ROWS BENCH_MATCH_ROWS=$BENCH_MATCH_ROWS BENCH_SPLINK_ROWS=$BENCH_SPLINK_ROWS"
export BENCH_COMMAND="${BENCH_COMMAND:-make bench-exchange ($sizes)}"
export BENCH_STARTED="$(date +%s)"
echo "nproc: $(nproc); $($python --version); $sizes; parts: $parts"

tmp="$(mktemp -d /tmp/shouhu-bench-exchange.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
export BENCH_OUT="$tmp/out"
failed=()

part() {  # part NAME COMMAND…: run one part; a failure is reported at the end, the others still run
  local name="$1"; shift
  case " $parts " in *" $name "*) ;; *) echo; echo "($name: skipped)"; return 0 ;; esac
  echo
  if ! "$@"; then
    failed+=("$name")
    echo "PART FAILED: $name"
  fi
}

part sqlite env DATABASE_URL="sqlite:///$tmp/bench.sqlite3" $python -m bench.exchange_bench import
rm -f "$tmp"/bench.sqlite3*

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
if [ -n "$pg_bin" ]; then
  part postgres env -u DATABASE_URL bash scripts/with_postgres.sh "$pg_bin" $python -m bench.exchange_bench import
else
  echo
  echo "PostgreSQL binaries not found: the PostgreSQL run is skipped (install postgresql to include it)."
fi

# Matching never opens the database; the URL only keeps the settings away from var/.
part match env DATABASE_URL="sqlite:///$tmp/unused.sqlite3" $python -m bench.exchange_bench match
part splink env DATABASE_URL="sqlite:///$tmp/unused.sqlite3" $python -m bench.exchange_bench splink

echo
DATABASE_URL="sqlite:///$tmp/unused.sqlite3" $python -m bench.exchange_bench report
if [ ${#failed[@]} -gt 0 ]; then
  echo "Parts that failed: ${failed[*]}"
  exit 1
fi
