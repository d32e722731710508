#!/usr/bin/env bash
# A local SMTP server (aiosmtpd) on 127.0.0.1 for trying real email delivery without a mail relay.
# Received messages are printed to var/smtp/messages.log.
#
#   deploy/local/smtp.sh start    then: SRDI_NOTIFICATIONS_EMAIL_BACKEND=smtp make run
#   deploy/local/smtp.sh stop | status
#
# Port: SRDI_NOTIFICATIONS_SMTP_PORT (default 8025). Without this server the embedded default
# (SRDI_NOTIFICATIONS_EMAIL_BACKEND=log) writes emails to the log instead, so `make run` needs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="$ROOT/var/smtp"
PY="${SRDI_PYTHON:-$ROOT/.venv/bin/python}"
PORT="${SRDI_NOTIFICATIONS_SMTP_PORT:-8025}"
PIDFILE="$STATE/smtp.pid"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-status}" in
  start)
    mkdir -p "$STATE"
    if running; then echo "127.0.0.1:$PORT"; exit 0; fi
    nohup "$PY" -m aiosmtpd -n -d -l "127.0.0.1:$PORT" -c aiosmtpd.handlers.Debugging stdout \
      >>"$STATE/messages.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 50); do
      if "$PY" - "$PORT" <<'PYEOF' 2>/dev/null; then echo "127.0.0.1:$PORT"; exit 0; fi
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
PYEOF
      sleep 0.1
    done
    echo "smtp.sh: the server did not answer on 127.0.0.1:$PORT (see $STATE/messages.log)" >&2; exit 1 ;;
  stop)
    if running; then kill "$(cat "$PIDFILE")"; fi
    rm -f "$PIDFILE" ;;
  status)
    if running; then echo "running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
