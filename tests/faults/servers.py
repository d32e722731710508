"""The fault suite's own Kafka broker and PostgreSQL server.

The suite restarts them, so it never uses the shared servers (19092 / 15432) other developers' tests
run on: it starts ``deploy/local/kafka.sh`` and ``deploy/local/postgres.sh`` with their own ports and
state directory (``var/faults`` in this worktree). Ports: ``SRDI_FAULTS_KAFKA_PORT`` (29092),
``SRDI_FAULTS_KAFKA_CONTROLLER_PORT`` (29093), ``SRDI_FAULTS_PG_PORT`` (25432).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.infra import LOCAL, ROOT

SHARED_PORTS = {19092, 19093, 15432}


def _clean(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text.strip().splitlines()[-1]).strip()


@dataclass(frozen=True)
class FaultServers:
    kafka_port: int
    kafka_controller_port: int
    pg_port: int
    state_dir: Path

    @classmethod
    def from_env(cls) -> FaultServers:
        servers = cls(
            kafka_port=int(os.environ.get("SRDI_FAULTS_KAFKA_PORT", "29092")),
            kafka_controller_port=int(os.environ.get("SRDI_FAULTS_KAFKA_CONTROLLER_PORT", "29093")),
            pg_port=int(os.environ.get("SRDI_FAULTS_PG_PORT", "25432")),
            state_dir=Path(os.environ.get("SRDI_FAULTS_STATE_DIR", str(ROOT / "var" / "faults"))),
        )
        clash = SHARED_PORTS & {servers.kafka_port, servers.kafka_controller_port, servers.pg_port}
        if clash:  # the fault suite stops what it starts: never the shared servers
            raise ValueError(f"the fault suite must not use the shared servers' ports {sorted(clash)}")
        return servers

    @property
    def env(self) -> dict[str, str]:
        return os.environ | {
            "SRDI_LOCAL_STATE_DIR": str(self.state_dir),
            "SRDI_LOCAL_KAFKA_PORT": str(self.kafka_port),
            "SRDI_LOCAL_KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
            "SRDI_LOCAL_PG_PORT": str(self.pg_port),
        }

    def _script(self, script: str, action: str) -> str:
        result = subprocess.run([str(LOCAL / script), action], env=self.env, capture_output=True, text=True,
                                timeout=900)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"deploy/local/{script} {action} failed:\n{result.stdout}\n{result.stderr}")
        return _clean(result.stdout) if result.stdout.strip() else ""

    def start_kafka(self) -> str:
        return self._script("kafka.sh", "start")

    def stop_kafka(self) -> None:
        self._script("kafka.sh", "stop")

    def start_postgres(self) -> str:
        return self._script("postgres.sh", "start")

    def stop_postgres(self) -> None:
        self._script("postgres.sh", "stop")
