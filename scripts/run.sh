#!/usr/bin/env bash
# Start everything the app needs on one machine: the job worker and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-5000}
bin=.venv/bin
outbox=$(.venv/bin/python -c 'from webapp import create_app; print(create_app().config["MAIL_OUTBOX_DIR"])')
# Loads the demo LA the first time; every time, it lists the demo sign-ins.
"$bin/flask" b2b demo
echo
echo "b2b-sync on http://$host:$port"
echo "Email is written to $outbox (set FLASK_MAIL_SERVER to send over SMTP)."
echo
pids=()
if .venv/bin/python -c "import webapp.worker" 2>/dev/null; then
  "$bin/huey_consumer" webapp.worker.huey -w 2 -k thread -q &
  pids+=($!)
fi
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
"$bin/flask" run --host "$host" --port "$port"
