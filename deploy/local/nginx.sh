#!/usr/bin/env bash
# nginx (Debian's package) as a plain reverse proxy on 127.0.0.1, for the gateway benchmark's anchor.
#
#   deploy/local/nginx.sh start <listen-port> <upstream host:port>   prints the proxy's base URL once it answers
#   deploy/local/nginx.sh stop <listen-port> | status <listen-port>
#
# State (config, pid, logs) under var/nginx/<listen-port>; several instances may run side by side.
# Installs the package with apt-get when missing and allowed (root). Access logging is off, keep-alive
# to the upstream is on: the anchor is nginx at its best, not at its defaults.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CMD="${1:-status}"
PORT="${2:?listen port required}"
STATE="$ROOT/var/nginx/$PORT"
PID="$STATE/nginx.pid"

find_nginx() {
  if ! command -v nginx >/dev/null && [ -x /usr/sbin/nginx ]; then PATH="$PATH:/usr/sbin"; fi
  if ! command -v nginx >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q nginx >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx >/dev/null; }) || true
  fi
  command -v nginx >/dev/null || { echo "nginx.sh: nginx not found (apt-get install nginx)" >&2; exit 1; }
}

running() { [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }

write_config() {
  local upstream=$1 user=""
  mkdir -p "$STATE/tmp"
  [ "$(id -u)" = 0 ] && user="user root;"
  cat > "$STATE/nginx.conf" <<CONF
$user
worker_processes 1;
pid $PID;
error_log $STATE/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $STATE/tmp/body;
  proxy_temp_path $STATE/tmp/proxy;
  fastcgi_temp_path $STATE/tmp/fastcgi;
  uwsgi_temp_path $STATE/tmp/uwsgi;
  scgi_temp_path $STATE/tmp/scgi;
  upstream service { server $upstream; keepalive 64; }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
    }
  }
}
CONF
}

case "$CMD" in
  start)
    UPSTREAM="${3:?upstream host:port required}"
    find_nginx
    if ! running; then
      write_config "$UPSTREAM"
      nginx -p "$STATE" -c "$STATE/nginx.conf" -e "$STATE/error.log"
    fi
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "http://127.0.0.1:$PORT"; exit 0; fi
      sleep 0.1
    done
    echo "nginx.sh: nginx did not answer on 127.0.0.1:$PORT (see $STATE/error.log)" >&2; exit 1 ;;
  stop)
    if running; then
      kill "$(cat "$PID")"
      for _ in $(seq 1 50); do running || break; sleep 0.1; done
    fi
    echo "nginx on $PORT stopped" ;;
  status)
    if running; then echo "nginx on $PORT running (pid $(cat "$PID"))"; else echo "nginx on $PORT not running"; exit 1; fi ;;
  *) echo "usage: $0 start <port> <upstream> | stop <port> | status <port>" >&2; exit 2 ;;
esac
