"""The fault suite's servers and topology (its own Kafka and PostgreSQL — see servers.py), and the
table of figures printed at the end of the run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.faults.driver import LoadDriver
from tests.faults.scenarios import FaultResult
from tests.faults.servers import FaultServers
from tests.faults.topology import FaultTopology

RESULTS: list[FaultResult] = []


@pytest.fixture(scope="session")
def fault_servers() -> FaultServers:
    servers = FaultServers.from_env()
    servers.start_postgres()
    servers.start_kafka()
    return servers


@pytest.fixture(scope="session")
def fault_topology(fault_servers: FaultServers, redis_url: str) -> Iterator[FaultTopology]:
    # Logs under var/faults/logs/<run>: kept after the run, for the process that misbehaved. Redis (the
    # gateway's rate-limit state, under the run's own namespace) is never restarted: the shared one serves.
    run = time.strftime("%Y%m%dT%H%M%S")
    topology = FaultTopology(fault_servers.start_postgres(), fault_servers.start_kafka(),
                             fault_servers.state_dir / "logs" / run, redis_url)  # fmt: skip
    try:
        topology.setup()
        asyncio.run(LoadDriver(topology.gateway_url, topology.admin_key, 0, 0).setup())
        yield topology
    finally:
        topology.stop()


def render(results: list[FaultResult]) -> str:
    lines = ["", "=== reliability under faults / 故障下的可靠性 ==="]
    for r in results:
        lines.append(f"\n--- {r.fault}: {r.writes} writes in {r.run_s:.1f} s; recovered in {r.recovery_s:.2f} s; "
                     f"drained {r.drain_s:.2f} s after the stream; poison {r.poison_ids or '-'}")  # fmt: skip
        lines.append(r.reconciliation.table())
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.write_line(render(RESULTS))
