#!/usr/bin/env bash
# Start the background worker and the web app together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

.venv/bin/python manage.py qcluster &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo
echo "守护 Shouhu 正在启动：http://${HOST}:${PORT}/   （按 Ctrl-C 停止网站和后台任务）"
echo
.venv/bin/gunicorn config.wsgi:application \
  --bind "${HOST}:${PORT}" --workers 2 --threads 4 --timeout 120 \
  --access-logfile - --error-logfile -
