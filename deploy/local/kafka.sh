#!/usr/bin/env bash
# Apache Kafka 3.9.1 from its Maven Central jars, KRaft mode, bound to 127.0.0.1 — for tests and
# local runs on machines without a Docker engine.
#
#   deploy/local/kafka.sh start [--brokers 1|3]   prints the bootstrap string when the broker answers
#   deploy/local/kafka.sh stop | status
#
# Single node: client port 19092, controller 19093. Three nodes (fault tests): clients 19192/19194/19196,
# controllers 19293/19295/19297, replication factor 3, min ISR 2.
#
# Settings (defaults unchanged): SRDI_LOCAL_KAFKA_PORT / SRDI_LOCAL_KAFKA_CONTROLLER_PORT move the single
# broker (the fault suite runs its own on 29092/29093); SRDI_LOCAL_STATE_DIR replaces var/local as the
# state directory (data, pid, logs); SRDI_LOCAL_KAFKA_LIBS points at already-fetched jars;
# SRDI_LOCAL_KAFKA_CLUSTER_PORT_OFFSET shifts the 3-node cluster's ports (10000: 29192.../29293...).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/local"
STATE="${SRDI_LOCAL_STATE_DIR:-$ROOT/var/local}/kafka"
LIBS="${SRDI_LOCAL_KAFKA_LIBS:-$STATE/libs}"
SINGLE_PORT="${SRDI_LOCAL_KAFKA_PORT:-19092}"
SINGLE_CONTROLLER_PORT="${SRDI_LOCAL_KAFKA_CONTROLLER_PORT:-19093}"
CLUSTER_OFFSET="${SRDI_LOCAL_KAFKA_CLUSTER_PORT_OFFSET:-0}"  # added to every 3-node port
PY="${SRDI_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3

fetch_jars() {
  # Idempotent: Maven copies only what is missing; a marker skips the call entirely next time.
  [ -f "$LIBS/.complete" ] && return 0
  command -v mvn >/dev/null || { echo "kafka.sh: Maven (mvn) and Java 17 are needed to fetch Kafka" >&2; exit 1; }
  mkdir -p "$LIBS"
  # Maven talks on stdout: keep stdout for the one line callers parse (the bootstrap string).
  mvn -q -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2
  touch "$LIBS/.complete"
}

node_ports() {  # node id -> "client controller"
  local brokers=$1 id=$2
  # The 3-node cluster uses its own ports so that it can run beside the single broker.
  if [ "$brokers" = 1 ]; then echo "$SINGLE_PORT $SINGLE_CONTROLLER_PORT"; else echo "$((CLUSTER_OFFSET + 19190 + 2 * id)) $((CLUSTER_OFFSET + 19291 + 2 * id))"; fi
}

write_config() {
  local brokers=$1 id=$2 dir=$3 ports client controller voters="" rf=1 isr=1
  ports=$(node_ports "$brokers" "$id"); client=${ports% *}; controller=${ports#* }
  for n in $(seq 1 "$brokers"); do
    local p; p=$(node_ports "$brokers" "$n"); voters="$voters${voters:+,}$n@127.0.0.1:${p#* }"
  done
  [ "$brokers" = 3 ] && rf=3 && isr=2
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$client,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$client
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
# Tests: no 3-second wait before the first rebalance of a new consumer group.
group.initial.rebalance.delay.ms=0
# The application creates its topics with the partitions and replication it wants.
auto.create.topics.enable=false
log.retention.hours=24
PROPS
}

java_cmd() {
  java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -Dkafka.logs.dir="$1" -cp "$LIBS/*" "${@:2}"
}

bootstrap_of() {
  local brokers=$1 list=""
  for n in $(seq 1 "$brokers"); do local p; p=$(node_ports "$brokers" "$n"); list="$list${list:+,}127.0.0.1:${p% *}"; done
  echo "$list"
}

running() { [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

start_node() {
  local brokers=$1 id=$2 dir="$STATE/cluster-$1/node-$2"
  mkdir -p "$dir"
  running "$dir" && return 0
  if [ ! -f "$dir/data/meta.properties" ]; then
    write_config "$brokers" "$id" "$dir"
    [ -f "$STATE/cluster-$brokers/cluster-id" ] || java_cmd "$dir" kafka.tools.StorageTool random-uuid > "$STATE/cluster-$brokers/cluster-id"
    java_cmd "$dir" kafka.tools.StorageTool format -t "$(cat "$STATE/cluster-$brokers/cluster-id")" \
      -c "$dir/server.properties" --ignore-formatted >/dev/null
  fi
  nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -Dkafka.logs.dir="$dir" -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/broker.log" 2>&1 &
  echo $! > "$dir/pid"
}

wait_ready() {
  # Poll until a client can fetch metadata from every broker (bounded, no fixed sleep).
  "$PY" - "$1" "$2" <<'PYCODE'
import asyncio, logging, sys, time
logging.disable(logging.CRITICAL)  # connection refusals while the broker boots are expected
from aiokafka.admin import AIOKafkaAdminClient

async def main(bootstrap: str, brokers: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if len(cluster["brokers"]) >= brokers:
                return
        except Exception:
            pass
        finally:
            await admin.close()
        if time.monotonic() > deadline:
            sys.exit(f"kafka.sh: broker not ready at {bootstrap} after 120 s")
        await asyncio.sleep(0.5)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PYCODE
}

stop_node() {
  local dir=$1
  running "$dir" || { rm -f "$dir/pid"; return 0; }
  local pid; pid=$(cat "$dir/pid")
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

brokers=1
cmd=${1:-status}; shift || true
while [ $# -gt 0 ]; do
  case $1 in
    --brokers) brokers=$2; shift 2 ;;
    *) node_arg=$1; shift ;;
  esac
done

case $cmd in
  start)
    fetch_jars
    mkdir -p "$STATE/cluster-$brokers"
    for id in $(seq 1 "$brokers"); do start_node "$brokers" "$id"; done
    wait_ready "$(bootstrap_of "$brokers")" "$brokers"
    bootstrap_of "$brokers" ;;
  stop)
    for dir in "$STATE"/cluster-*/node-*; do [ -d "$dir" ] && stop_node "$dir"; done; echo stopped ;;
  stop-broker) stop_node "$STATE/cluster-3/node-${node_arg:?node id}"; echo "stopped broker $node_arg" ;;
  start-broker) start_node 3 "${node_arg:?node id}"; echo "started broker $node_arg" ;;
  status)
    for dir in "$STATE"/cluster-*/node-*; do
      [ -d "$dir" ] || continue
      if running "$dir"; then echo "$dir: running"; else echo "$dir: stopped"; fi
    done ;;
  *) echo "usage: $0 {start|stop|status|stop-broker N|start-broker N} [--brokers 1|3]" >&2; exit 2 ;;
esac
