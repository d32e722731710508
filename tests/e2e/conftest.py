"""The distributed topology as real processes: every service its own process (eligibility with two
replicas in one consumer group), relays apart, PostgreSQL and Kafka, callers through the gateway."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_SIGNING_KEY

SRDI = str(Path(sys.executable).with_name("srdi"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Topology:
    env: dict[str, str]
    gateway_url: str
    admin_key: str
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.gateway_url, headers=headers, timeout=30)

    def create_key(self, role: str, tenant: str | None = None) -> str:
        with self.client(self.admin_key) as client:
            response = client.post("/api/v1/gateway/api-keys", json={"role": role, "tenant": tenant, "name": role})
            response.raise_for_status()
            return str(response.json()["key"])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


@pytest.fixture(scope="session")
def topology(
    kafka_bootstrap: str, postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    run = uuid.uuid4().hex[:8]
    base = make_url(postgres_url).set(database=f"srdi_e2e_{run}").render_as_string(hide_password=False)
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    ports = {"registry": free_port(), "eligibility": free_port(), "eligibility_2": free_port()}
    ports |= {"finance_match": free_port(), "notifications": free_port(), "gateway": free_port()}
    env = os.environ | {
        "SRDI_MODE": "distributed",
        "SRDI_DATABASE_URL": base,
        "SRDI_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SRDI_KAFKA_NAMESPACE": f"e2e{run}",
        "SRDI_INTERNAL_SIGNING_KEY": TEST_SIGNING_KEY,
        "SRDI_GATEWAY_JWT_SECRET": f"e2e-jwt-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "SRDI_GATEWAY_REDIS_URL": redis_url,
        "SRDI_GATEWAY_RATE_LIMIT_NAMESPACE": f"e2e{run}",
        "SRDI_RELAY_POLL_SECONDS": "0.05",
        "SRDI_LOG_LEVEL": "WARNING",
        "SRDI_SERVICE_URLS": json.dumps(
            {
                name: f"http://127.0.0.1:{ports[name]}"
                for name in ("registry", "eligibility", "finance_match", "notifications")
            }
        ),
    }
    subprocess.run([SRDI, "migrate"], env=env, check=True, capture_output=True)
    admin_key = subprocess.run(
        [SRDI, "create-api-key", "--role", "admin", "--name", "e2e admin"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    topology = Topology(env, f"http://127.0.0.1:{ports['gateway']}", admin_key, log_dir)

    def start(label: str, *args: str) -> subprocess.Popen[bytes]:
        log = (log_dir / f"{label}.log").open("wb")
        process = subprocess.Popen([SRDI, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        topology.processes.append(process)
        return process

    try:
        servers = {
            "registry": start("registry", "serve", "registry", "--port", str(ports["registry"])),
            "eligibility": start("eligibility", "serve", "eligibility", "--port", str(ports["eligibility"])),
            "eligibility_2": start("eligibility-2", "serve", "eligibility", "--port", str(ports["eligibility_2"])),
            "finance_match": start("finance", "serve", "finance_match", "--port", str(ports["finance_match"])),
            "notifications": start("notifications", "serve", "notifications", "--port", str(ports["notifications"])),
            "gateway": start("gateway", "serve", "gateway", "--port", str(ports["gateway"])),
        }
        for service in ("registry", "eligibility"):
            start(f"{service}-relay", "relay", service)
        for name, process in servers.items():
            _wait_ready(f"http://127.0.0.1:{ports[name]}", process)
        yield topology
    finally:
        for process in topology.processes:
            process.terminate()
        for process in topology.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
