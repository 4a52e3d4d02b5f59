#!/usr/bin/env bash
# Start the background worker and the web app together; Ctrl-C (or a TERM to this script) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

pids=()
stop() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  # The worker finishes the task in hand; it is told twice if it takes longer than 10 s.
  for _ in $(seq 100); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

.venv/bin/python manage.py qcluster &
pids+=($!)

echo
echo "守护 Shouhu 正在启动：http://${HOST}:${PORT}/   （按 Ctrl-C 停止网站和后台任务）"
echo
.venv/bin/gunicorn config.wsgi:application \
  --bind "${HOST}:${PORT}" --workers 2 --threads 4 --timeout 120 \
  --access-logfile - --error-logfile - &
pids+=($!)
# Either one stopping stops the other; a signal to this script stops both.
wait -n
