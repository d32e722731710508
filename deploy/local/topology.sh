#!/usr/bin/env bash
# The distributed topology as local processes (no Docker engine needed): Kafka and PostgreSQL from
# the scripts beside this one, every service its own process (registry and eligibility twice, one
# consumer group each), a relay per service, and the gateway on 127.0.0.1:8000.
#
#   deploy/local/topology.sh start | stop | status
#
# A signing key is generated into var/local/secrets.env on first start (never committed).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/local"
RUN="$ROOT/var/local/run"
SRDI="$ROOT/.venv/bin/srdi"
SECRETS="$ROOT/var/local/secrets.env"

# name:service:port (port empty for relays)
PROCESSES=(
  "registry-1:registry:8101" "registry-2:registry:8111" "registry-relay:registry:"
  "eligibility-1:eligibility:8102" "eligibility-2:eligibility:8112" "eligibility-relay:eligibility:"
  "finance_match-1:finance_match:8103" "finance_match-relay:finance_match:"
  "notifications-1:notifications:8104" "notifications-relay:notifications:"
)

environment() {
  mkdir -p "$RUN"
  if [ ! -f "$SECRETS" ]; then
    umask 077
    echo "SRDI_INTERNAL_SIGNING_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" > "$SECRETS"
  fi
  grep -q '^SRDI_GATEWAY_JWT_SECRET=' "$SECRETS" ||
    (umask 077; echo "SRDI_GATEWAY_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" >> "$SECRETS")
  set -a; . "$SECRETS"; set +a
  export SRDI_MODE=distributed
  export SRDI_KAFKA_BOOTSTRAP="$("$HERE/kafka.sh" start | tail -n 1)"
  export SRDI_DATABASE_URL="$("$HERE/postgres.sh" start | tail -n 1)"
  export SRDI_GATEWAY_REDIS_URL="$("$HERE/redis.sh" start | tail -n 1)"
  export SRDI_SERVICE_URLS='{"registry": "http://127.0.0.1:8101", "eligibility": "http://127.0.0.1:8102", "finance_match": "http://127.0.0.1:8103", "notifications": "http://127.0.0.1:8104"}'
}

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

launch() {
  local name=$1; shift
  running "$name" && return 0
  nohup "$SRDI" "$@" > "$RUN/$name.log" 2>&1 &
  echo $! > "$RUN/$name.pid"
}

wait_ready() {
  local port=$1
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "topology.sh: service on port $port not ready (see $RUN/*.log)" >&2
  return 1
}

start() {
  environment
  "$SRDI" migrate >/dev/null
  for entry in "${PROCESSES[@]}"; do
    IFS=: read -r name service port <<< "$entry"
    if [ -n "$port" ]; then launch "$name" serve "$service" --port "$port"; else launch "$name" relay "$service"; fi
  done
  launch gateway serve gateway --port 8000
  for entry in "${PROCESSES[@]}"; do
    IFS=: read -r _ _ port <<< "$entry"
    [ -n "$port" ] && wait_ready "$port"
  done
  wait_ready 8000
  echo "gateway on http://127.0.0.1:8000 (docs: /docs). First admin key: $SRDI create-api-key --role admin --name admin (with $SECRETS and the env above)"
}

stop() {
  for pidfile in "$RUN"/*.pid; do
    [ -f "$pidfile" ] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  echo "services stopped (Kafka and PostgreSQL keep running: deploy/local/kafka.sh stop, postgres.sh stop)"
}

status() {
  for pidfile in "$RUN"/*.pid; do
    [ -f "$pidfile" ] || continue
    name=$(basename "$pidfile" .pid)
    if running "$name"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
}

case ${1:-status} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
