"""The distributed platform as processes that the fault suite can SIGKILL and start again.

Like ``tests/e2e/conftest.py``: every service its own ``srdi serve`` process, each relay its own
``srdi relay`` process, PostgreSQL and Kafka — here the suite's own servers (``tests/faults/servers.py``:
a 3-broker cluster, topics created with replication 3 and ``min.insync.replicas`` 2). A process keeps its
port across restarts, so the gateway finds a restarted service where it was. Eligibility runs two
replicas in one consumer group (``eligibility`` serves the gateway, ``eligibility-2`` only consumes), so
that a paused member's partitions move to the other one mid-batch.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.conftest import TEST_SIGNING_KEY

SRDI = str(Path(sys.executable).with_name("srdi"))
SERVICES = ("registry", "eligibility", "finance_match", "notifications", "gateway")
RELAYS = ("registry", "eligibility", "finance_match", "notifications")
REPLICAS = {"eligibility-2": "eligibility"}  # label -> service: a second member of the service's group
# Consumer group liveness, shortened so that a paused or killed member is replaced within seconds
# (6 s is the broker's group.min.session.timeout.ms).
SESSION_TIMEOUT_MS = 6_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    label: str
    args: list[str]
    port: int | None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0


@dataclass
class FaultTopology:
    postgres_url: str
    kafka_bootstrap: str
    log_dir: Path
    redis_url: str
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    procs: dict[str, Proc] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    admin_key: str = ""

    @property
    def database_base(self) -> str:
        return make_url(self.postgres_url).set(database=f"srdi_faults_{self.run}").render_as_string(hide_password=False)

    def database_url(self, service: str) -> str:
        """The service's own database (ServiceRuntime appends the service name to the base)."""
        url = make_url(self.database_base)
        return url.set(database=f"{url.database}_{service}").render_as_string(hide_password=False)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.procs['gateway'].port}"

    def setup(self) -> None:
        ports = {name: free_port() for name in (*SERVICES, *REPLICAS)}
        self.env = os.environ | {
            "SRDI_MODE": "distributed",
            "SRDI_DATABASE_URL": self.database_base,
            "SRDI_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SRDI_KAFKA_NAMESPACE": f"faults{self.run}",
            "SRDI_KAFKA_REPLICATION": "3",
            "SRDI_KAFKA_MIN_INSYNC_REPLICAS": "2",
            "SRDI_KAFKA_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
            "SRDI_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "SRDI_NOTIFICATIONS_DEMO": "false",
            "SRDI_INTERNAL_SIGNING_KEY": TEST_SIGNING_KEY,
            "SRDI_GATEWAY_JWT_SECRET": f"faults-jwt-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "SRDI_GATEWAY_REDIS_URL": self.redis_url,
            "SRDI_GATEWAY_RATE_LIMIT_NAMESPACE": f"faults{self.run}",
            # The stream is the load, not an abuser: the gateway's limits stay out of its way.
            "SRDI_GATEWAY_RATE_LIMIT_PER_KEY": "1000000/minute",
            "SRDI_GATEWAY_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
            "SRDI_RELAY_POLL_SECONDS": "0.05",
            "SRDI_LOG_LEVEL": "WARNING",
            # A poison event is dead-lettered after 3 quick attempts rather than the default 5 slower ones.
            "SRDI_CONSUMER_MAX_ATTEMPTS": "3",
            "SRDI_CONSUMER_BACKOFF_SECONDS": "0.2",
            "SRDI_UPSTREAM_TIMEOUT_SECONDS": "10",
            "SRDI_DEMO_KEYS": "false",
            "SRDI_REGISTRY_DEMO_COUNT": "0",
            "SRDI_SERVICE_URLS": json.dumps(
                {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES if name != "gateway"}
            ),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([SRDI, "migrate", *SERVICES], env=self.env, check=True, capture_output=True)
        self.admin_key = subprocess.run(
            [SRDI, "create-api-key", "--role", "admin", "--name", "faults admin"],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        for name in SERVICES:
            self.procs[name] = Proc(name, ["serve", name, "--port", str(ports[name])], ports[name])
        for label, name in REPLICAS.items():
            self.procs[label] = Proc(label, ["serve", name, "--port", str(ports[label])], ports[label])
        for name in RELAYS:
            self.procs[f"{name}-relay"] = Proc(f"{name}-relay", ["relay", name], None)
        for label in self.procs:
            self.start(label, wait=False)
        for label in self.procs:
            self.wait_ready(label)

    def start(self, label: str, wait: bool = True) -> None:
        proc = self.procs[label]
        proc.starts += 1
        log = (self.log_dir / f"{label}.{proc.starts}.log").open("wb")
        proc.process = subprocess.Popen([SRDI, *proc.args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready(label)

    def wait_ready(self, label: str, timeout: float = 90) -> None:
        proc = self.procs[label]
        assert proc.process is not None
        if proc.port is None:  # a relay: running is all it can say
            if proc.process.poll() is not None:
                raise RuntimeError(f"{label} exited with {proc.process.returncode}")
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.process.poll() is not None:
                raise RuntimeError(f"{label}: process exited with {proc.process.returncode}; see {self.log_dir}")
            try:
                if httpx.get(f"http://127.0.0.1:{proc.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling interval of a deadline-bounded wait
        raise RuntimeError(f"{label} not ready after {timeout}s; see {self.log_dir}")

    def kill(self, label: str) -> None:
        """SIGKILL: no shutdown hook runs, open transactions are cut, in-flight requests fail."""
        proc = self.procs[label]
        assert proc.process is not None
        proc.process.send_signal(signal.SIGKILL)
        proc.process.wait(timeout=30)

    def pause(self, label: str) -> None:
        """SIGSTOP: the process holds its connections and its fetched batch but sends no heartbeat."""
        proc = self.procs[label]
        assert proc.process is not None
        proc.process.send_signal(signal.SIGSTOP)

    def resume(self, label: str) -> None:
        proc = self.procs[label]
        assert proc.process is not None
        proc.process.send_signal(signal.SIGCONT)

    def restart_all_ready(self, timeout: float = 120) -> None:
        for label in self.procs:
            self.wait_ready(label, timeout)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.process is not None and proc.process.poll() is None:
                proc.process.send_signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
                proc.process.terminate()
        for proc in self.procs.values():
            if proc.process is None:
                continue
            try:
                proc.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.process.kill()
                proc.process.wait(timeout=15)
