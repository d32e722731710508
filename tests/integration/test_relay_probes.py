"""``srdi relay <service> --port``: the relay process answers the probes Kubernetes uses
(deploy/k8s/relays.yaml) — ``/healthz`` while it runs, ``/readyz`` once its database, the bus and
the relay task are up — and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SIGNING_KEY, kafka_backend
from tests.faults.topology import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
SRDI = str(Path(sys.executable).with_name("srdi"))


async def test_a_relay_process_answers_health_and_readiness_and_stops_on_sigterm(
    kafka_bootstrap: str, postgres_url: str
) -> None:
    backend = kafka_backend(kafka_bootstrap, postgres_url)
    port = free_port()
    env = os.environ | {
        "SRDI_MODE": "distributed",
        "SRDI_DATABASE_URL": backend.database_url,
        "SRDI_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SRDI_KAFKA_NAMESPACE": backend.kafka_namespace,
        "SRDI_INTERNAL_SIGNING_KEY": TEST_SIGNING_KEY,
        "SRDI_LOG_LEVEL": "WARNING",
    }
    relay = subprocess.Popen([SRDI, "relay", "registry", "--port", str(port)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            async def readyz() -> Any:
                if relay.poll() is not None:
                    return relay.returncode
                try:
                    return await client.get("/readyz")
                except httpx.HTTPError:
                    return None

            ready = await eventually(readyz, lambda r: isinstance(r, int) or (r is not None and r.status_code == 200),
                                     timeout=90, what="the relay's /readyz")  # fmt: skip
            assert not isinstance(ready, int), f"the relay exited with {ready}"
            body = ready.json()
            assert body["service"] == "registry-relay"
            assert body["checks"] == {"database": True, "bus": True, "relay": True}
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert (await client.get("/api/v1/registry/enterprises")).status_code == 404, "a relay serves no API"
        relay.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully (the relay finishes its batch), then re-raises the signal.
        assert relay.wait(timeout=30) in (0, -signal.SIGTERM)
        output = relay.stdout.read().decode() if relay.stdout else ""
        assert "Traceback" not in output, output
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait(timeout=10)
