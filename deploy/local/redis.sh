#!/usr/bin/env bash
# Redis on 127.0.0.1:16379 for the gateway's shared rate limits (tests and local runs), state under
# var/local/redis.
#
#   deploy/local/redis.sh start   prints the Redis URL when the server answers PING
#   deploy/local/redis.sh stop | status
#
# Uses Debian's redis-server (installing the package when missing and allowed).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="$ROOT/var/local/redis"
PORT="${SRDI_LOCAL_REDIS_PORT:-16379}"
URL="redis://127.0.0.1:$PORT/0"

find_server() {
  if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }) || true
  fi
  command -v redis-server >/dev/null || { echo "redis.sh: no redis-server found (apt-get install redis-server)" >&2; exit 1; }
}

ping() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

start() {
  find_server
  mkdir -p "$STATE"
  if ! ping; then
    # No persistence: rate-limit windows are short-lived by nature.
    redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes --daemonize yes \
      --dir "$STATE" --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" \
      --save '' --appendonly no --maxmemory 256mb --maxmemory-policy volatile-lru >/dev/null
  fi
  for _ in $(seq 1 100); do ping && break; sleep 0.1; done
  ping || { echo "redis.sh: server not answering on port $PORT" >&2; exit 1; }
  echo "$URL"
}

stop() {
  if ping; then redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  echo stopped
}

case ${1:-status} in
  start) start ;;
  stop) stop ;;
  status) if ping; then echo "running on 127.0.0.1:$PORT"; else echo stopped; fi ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
