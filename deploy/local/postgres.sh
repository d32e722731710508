#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:15432 for tests and local runs, data under var/local/postgres
# (SRDI_LOCAL_PG_PORT and SRDI_LOCAL_STATE_DIR move both; the fault suite runs its own server).
#
#   deploy/local/postgres.sh start   prints the SQLAlchemy URL when the server accepts connections
#   deploy/local/postgres.sh stop | status
#
# Uses Debian's server binaries (installing the package when missing and allowed), else the
# `pgserver` wheel from the project's dev dependencies.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="${SRDI_LOCAL_STATE_DIR:-$ROOT/var/local}/postgres"
DATA="$STATE/data"
PORT="${SRDI_LOCAL_PG_PORT:-15432}"
URL="postgresql+asyncpg://srdi:srdi@127.0.0.1:$PORT/srdi"
PY="${SRDI_PYTHON:-$ROOT/.venv/bin/python}"

find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }) || true
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  if [ -z "$dir" ]; then
    # The pgserver wheel ships PostgreSQL binaries of its own.
    dir=$("$PY" -c 'import pgserver, pathlib; print(pathlib.Path(pgserver.__file__).parent / "pginstall" / "bin")' 2>/dev/null || true)
  fi
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || { echo "postgres.sh: no PostgreSQL server binaries found" >&2; exit 1; }
  echo "$dir"
}

# PostgreSQL refuses to run as root: run its tools as the postgres user (or a throw-away one).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id srdipg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin srdipg
    runuser -u srdipg -- "$@"
  else
    "$@"
  fi
}

owner_fix() { [ "$(id -u)" = 0 ] && chown -R srdipg "$STATE" || true; }

init() {
  local bin=$1
  [ -f "$DATA/PG_VERSION" ] && return 0
  mkdir -p "$STATE"
  [ "$(id -u)" = 0 ] && { id srdipg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin srdipg; }
  owner_fix
  local pw="$STATE/.pw"; echo srdi > "$pw"; owner_fix
  as_owner "$bin/initdb" -D "$DATA" -U srdi --pwfile="$pw" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$STATE'
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
}

# Bulk loads (a register import writes ~300 MB of outbox envelopes per 100,000 enterprises) must not
# checkpoint every few seconds: the default max_wal_size of 1 GB is meant for small servers. Reloadable,
# so a data directory made before this line gets it too.
tune() {
  PGPASSWORD=srdi "$1/psql" -h 127.0.0.1 -p "$PORT" -U srdi -d postgres -qtA \
    -c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '15min'" \
    -c "SELECT pg_reload_conf()" >/dev/null
}

ready() { "$1/pg_isready" -h 127.0.0.1 -p "$PORT" -q; }

start() {
  local bin; bin=$(find_bindir)
  init "$bin"
  if ! ready "$bin"; then
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 60 start >/dev/null
  fi
  for _ in $(seq 1 600); do ready "$bin" && break; sleep 0.1; done
  ready "$bin" || { echo "postgres.sh: server not ready on port $PORT" >&2; exit 1; }
  tune "$bin"
  PGPASSWORD=srdi "$bin/psql" -h 127.0.0.1 -p "$PORT" -U srdi -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='srdi'" | grep -q 1 ||
    PGPASSWORD=srdi "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U srdi srdi
  echo "$URL"
}

stop() {
  [ -f "$DATA/PG_VERSION" ] || { echo stopped; return 0; }
  local bin; bin=$(find_bindir)
  as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  echo stopped
}

case ${1:-status} in
  start) start ;;
  stop) stop ;;
  status) bin=$(find_bindir); if ready "$bin"; then echo "running on 127.0.0.1:$PORT"; else echo stopped; fi ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
