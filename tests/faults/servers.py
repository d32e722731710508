"""The fault suite's own Kafka cluster and PostgreSQL server.

The suite restarts and kills them, so it never uses the shared servers (19092 / 15432, the shared
3-node cluster's 19192…) other developers' tests run on: it starts ``deploy/local/kafka.sh`` and
``deploy/local/postgres.sh`` with their own ports and state directory (``var/faults`` in this worktree).

Kafka is the 3-node KRaft cluster (replication factor 3, ``min.insync.replicas`` 2; the platform's
producer always sends ``acks=all``), clients on 29192 / 29194 / 29196 and controllers on 29293 / 29295 /
29297 (``SRDI_FAULTS_KAFKA_CLUSTER_PORT_OFFSET``, 10000, shifts kafka.sh's cluster ports). PostgreSQL on
``SRDI_FAULTS_PG_PORT`` (25432).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.infra import LOCAL, ROOT

BROKERS = (1, 2, 3)
# The shared single broker, its controller, the shared 3-node cluster's ports, the shared PostgreSQL.
SHARED_PORTS = {19092, 19093, 19192, 19194, 19196, 19293, 19295, 19297, 15432}


def _clean(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text.strip().splitlines()[-1]).strip()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class FaultServers:
    cluster_offset: int
    pg_port: int
    state_dir: Path

    @classmethod
    def from_env(cls) -> FaultServers:
        servers = cls(
            cluster_offset=int(os.environ.get("SRDI_FAULTS_KAFKA_CLUSTER_PORT_OFFSET", "10000")),
            pg_port=int(os.environ.get("SRDI_FAULTS_PG_PORT", "25432")),
            state_dir=Path(os.environ.get("SRDI_FAULTS_STATE_DIR", str(ROOT / "var" / "faults"))),
        )
        clash = SHARED_PORTS & {*servers.kafka_ports, servers.pg_port}
        if clash:  # the fault suite stops what it starts: never the shared servers
            raise ValueError(f"the fault suite must not use the shared servers' ports {sorted(clash)}")
        return servers

    @property
    def kafka_ports(self) -> list[int]:
        """Every port of the cluster (kafka.sh's node_ports): clients, then controllers."""
        return [self.cluster_offset + 19190 + 2 * n for n in BROKERS] + [
            self.cluster_offset + 19291 + 2 * n for n in BROKERS
        ]

    @property
    def env(self) -> dict[str, str]:
        env = os.environ | {
            "SRDI_LOCAL_STATE_DIR": str(self.state_dir),
            "SRDI_LOCAL_KAFKA_CLUSTER_PORT_OFFSET": str(self.cluster_offset),
            "SRDI_LOCAL_PG_PORT": str(self.pg_port),
        }
        shared_jars = ROOT / "var" / "local" / "kafka" / "libs"
        if "SRDI_LOCAL_KAFKA_LIBS" not in env and (shared_jars / ".complete").exists():
            env["SRDI_LOCAL_KAFKA_LIBS"] = str(shared_jars)  # read only: the jars, not the shared broker
        return env

    def _script(self, script: str, *args: str) -> str:
        result = subprocess.run([str(LOCAL / script), *args], env=self.env, capture_output=True, text=True,
                                timeout=900)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"deploy/local/{script} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return _clean(result.stdout) if result.stdout.strip() else ""

    def _pid_file(self, broker: int) -> Path:
        return self.state_dir / "kafka" / "cluster-3" / f"node-{broker}" / "pid"

    def broker_pid(self, broker: int) -> int | None:
        path = self._pid_file(broker)
        if not path.exists():
            return None
        pid = int(path.read_text().strip())
        return pid if _alive(pid) else None

    def start_kafka(self) -> str:
        """Start every broker that is down; the bootstrap string once all three answer."""
        return self._script("kafka.sh", "start", "--brokers", "3")

    def stop_kafka(self, grace: float = 8.0) -> None:
        """Every broker at once: SIGTERM (graceful shutdown in parallel), SIGKILL what is left after ``grace``.

        kafka.sh's own ``stop`` stops them one after the other, and the last one waits for a controller
        quorum that is already gone; in parallel, the brokers' part is done within seconds but the
        controllers' often waits on the same quorum (hence the SIGKILL)."""
        pids = [pid for pid in map(self.broker_pid, BROKERS) if pid is not None]
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling interval of a deadline-bounded wait for the processes to exit
        for pid in filter(_alive, pids):
            os.kill(pid, signal.SIGKILL)
        for broker in BROKERS:
            self._pid_file(broker).unlink(missing_ok=True)

    def kill_broker(self, broker: int) -> None:
        """SIGKILL one broker: no controlled shutdown, its partitions' leadership moves on the session timeout."""
        pid = self.broker_pid(broker)
        assert pid is not None, f"broker {broker} is not running"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling interval of a deadline-bounded wait for the process to exit
        self._pid_file(broker).unlink(missing_ok=True)

    def start_postgres(self) -> str:
        return self._script("postgres.sh", "start")

    def stop_postgres(self) -> None:
        self._script("postgres.sh", "stop")
