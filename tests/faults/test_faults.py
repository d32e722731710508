"""Every fault kind once, mid-stream: afterwards lost = 0, doubled = 0, per-enterprise order kept,
nothing dead-lettered but the poison. ``SRDI_FAULT_WRITES`` sets the writes per fault kind (the short
form by default; ``make chaos`` runs 10,000), ``SRDI_FAULT_RATE`` the writes per second at most,
``SRDI_FAULT_WORKERS`` the enterprises in flight at once (each writes its stream in order)."""

from __future__ import annotations

import os

import pytest

from tests.faults.conftest import RESULTS
from tests.faults.scenarios import FAULTS, run_fault
from tests.faults.servers import FaultServers
from tests.faults.topology import FaultTopology

pytestmark = pytest.mark.asyncio(loop_scope="session")
WRITES = int(os.environ.get("SRDI_FAULT_WRITES", "300"))
RATE = float(os.environ.get("SRDI_FAULT_RATE", "60"))
WORKERS = int(os.environ.get("SRDI_FAULT_WORKERS", "32"))


@pytest.mark.parametrize("fault", FAULTS)
async def test_nothing_accepted_is_lost_or_doubled_under(
    fault: str, fault_topology: FaultTopology, fault_servers: FaultServers
) -> None:
    base = 10_000_000 * (1 + FAULTS.index(fault))
    result = await run_fault(fault, fault_topology, fault_servers, WRITES, base, RATE, WORKERS)
    RESULTS.append(result)
    print(f"\n{fault}: recovered in {result.recovery_s:.2f} s\n{result.reconciliation.table()}")
    figures = result.reconciliation
    assert figures.not_accepted == 0, "every write is accepted in the end (retried with its key)"
    assert result.writes >= WRITES
    assert figures.lost == 0 and figures.doubled == 0 and not figures.order_violations
    assert all(f.accepted > 0 for f in figures.figures.values())
    # Only the poison is dead-lettered, by every consumer of the registry topic; the registry itself
    # consumes only notifications' events and must dead-letter nothing.
    poison = set(result.poison_ids) | set(_earlier_poison())
    for service, ids in figures.dead_letters.items():
        assert set(ids) <= (set() if service == "registry" else poison), (service, ids)
    if fault in ("poison", "all-at-once"):
        for service in ("eligibility", "finance_match", "notifications"):
            assert result.poison_ids[0] in figures.dead_letters[service], service


def _earlier_poison() -> list[str]:
    return [i for r in RESULTS for i in r.poison_ids]
