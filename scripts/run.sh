#!/usr/bin/env bash
# Start everything the app needs on one machine, as production runs it (docs/deploy.md):
# the job worker and gunicorn. FLASK_DEBUG=1 serves with Flask's reloading development
# server instead, for work on the code.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-5000}
bin=.venv/bin
outbox=$("$bin/python" -c 'from webapp import create_app; print(create_app().config["MAIL_OUTBOX_DIR"])')
# Loads the demo LA the first time; every time, it lists the demo sign-ins.
"$bin/flask" b2b demo
case "${FLASK_DEBUG:-}" in
  1 | true | True | yes | on) debug=1 ;;
  *) debug= ;;
esac
echo
mode="gunicorn and the job worker"
[ -z "$debug" ] || mode="Flask's reloading development server and the job worker"
echo "b2b-sync on http://$host:$port ($mode)"
echo "Email is written to $outbox (set FLASK_MAIL_SERVER to send over SMTP)."
echo

# Without job control, processes started with & ignore Ctrl-C: this shell stops them
# (the worker and the web server, whichever still run) on Ctrl-C, on TERM and on any exit.
pids=()
stop() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

if error=$("$bin/python" -c "import webapp.worker" 2>&1); then
  "$bin/huey_consumer" webapp.worker.huey -w 2 -k thread -q &
  pids+=($!)
else
  echo "No job worker (jobs wait in the queue): webapp.worker does not import: ${error##*$'\n'}" >&2
fi

if [ -n "$debug" ]; then
  "$bin/flask" run --debug --host "$host" --port "$port" &
else
  "$bin/gunicorn" --workers 2 --threads 4 --bind "$host:$port" --access-logfile - wsgi:app &
fi
pids+=($!)
# Whichever ends first (Ctrl-C, a crash, a port in use) ends the other.
wait -n "${pids[@]}"
