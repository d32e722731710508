"""One fault, injected once a third of the stream is accepted, while the stream goes on.

- ``service-kill``: SIGKILL the registry, eligibility, finance_match and notifications processes, start
  them again;
- ``relay-kill``: SIGKILL the registry, finance_match and notifications relays, start them again;
- ``kafka-restart``: stop every broker of the cluster at once (graceful, SIGKILL after 20 s), start them
  again (same data directories);
- ``postgres-restart``: stop PostgreSQL (fast: connections cut), start it again;
- ``poison``: an event no handler can apply, on the registry topic in the stream's partitions;
- ``broker-kill``: SIGKILL one of the three brokers (the controller-elected leader of most partitions
  moves; replication 3, min in-sync 2, acks=all: writes go on), the canary goes through while it is down,
  then it is started again and catches up;
- ``consumer-pause``: SIGSTOP the second eligibility replica past its consumer session timeout (the group
  rebalances its partitions to the first replica while it holds a fetched, uncommitted batch), SIGCONT
  (it finishes that batch — applied already by the other one — fails its commit and rejoins);
- ``mixed``: overlapping in one stream: SIGKILL the registry and notifications services and the
  finance_match and notifications relays, then, while they are down, all brokers and PostgreSQL go
  down together; Kafka and PostgreSQL come back, then the killed processes;
- ``all-at-once`` (the short form ``make test`` runs): every kind above once, overlapping in one stream —
  the poison is published, a broker SIGKILLed, the second eligibility replica paused, every service but
  the gateway and every relay but eligibility's SIGKILLed; past the session timeout the replica resumes,
  then the rest of the cluster and PostgreSQL go down together, come back, and the killed processes
  start again.

Recovery time: from the fault's start until a canary written after it went all the way (registry →
relay → Kafka → eligibility's assessment, finance_match's and notifications' views). Drain time: from
the stream's end until the reconciler finds every accepted write's every effect.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass, field

import httpx

from shared.events.catalogue import EnterpriseRegistered
from shared.events.envelope import Envelope, topic_for_source
from shared.events.kafka import KafkaBus
from tests.faults.driver import WRITES_PER_ENTERPRISE, LoadDriver, Write
from tests.faults.reconcile import Reconciliation, reconcile
from tests.faults.servers import FaultServers
from tests.faults.topology import SESSION_TIMEOUT_MS, FaultTopology
from tests.support.builders import enterprise
from tests.support.finance import FINANCE
from tests.support.waiting import eventually

FAULTS = ("service-kill", "relay-kill", "kafka-restart", "postgres-restart", "poison", "broker-kill",
          "consumer-pause", "mixed", "all-at-once")  # fmt: skip
KILLED_BROKER = 2
PAUSED = "eligibility-2"


@dataclass
class FaultResult:
    fault: str
    writes: int
    reconciliation: Reconciliation
    recovery_s: float
    drain_s: float
    run_s: float
    poison_ids: list[str] = field(default_factory=list)


async def _restart(topology: FaultTopology, victims: tuple[str, ...]) -> None:
    for label in victims:
        topology.start(label, wait=False)
    for label in victims:
        await asyncio.to_thread(topology.wait_ready, label)


async def _inject(kind: str, topology: FaultTopology, servers: FaultServers, driver: LoadDriver) -> list[str]:
    """Inject the fault; return the poison event ids (if any). A fault that ends by itself is over on
    return; ``broker-kill`` leaves the broker down (``_heal`` starts it, after the canary)."""
    if kind == "service-kill":
        victims = ("registry", "eligibility", "finance_match", "notifications")
        for label in victims:
            topology.kill(label)
        await _restart(topology, victims)
    elif kind == "relay-kill":
        for label in ("registry-relay", "finance_match-relay", "notifications-relay"):
            topology.kill(label)
            topology.start(label)
    elif kind == "broker-kill":
        await asyncio.to_thread(servers.kill_broker, KILLED_BROKER)
    elif kind == "consumer-pause":
        topology.pause(PAUSED)
        # The fault is the pause itself: it lasts past the session timeout, so the group evicts the member.
        await asyncio.sleep(SESSION_TIMEOUT_MS / 1000 * 1.5)
        topology.resume(PAUSED)
    elif kind == "mixed":
        victims = ("registry", "notifications", "finance_match-relay", "notifications-relay")
        for label in victims:
            topology.kill(label)
        await asyncio.gather(asyncio.to_thread(servers.stop_kafka), asyncio.to_thread(servers.stop_postgres))
        await asyncio.gather(asyncio.to_thread(servers.start_kafka), asyncio.to_thread(servers.start_postgres))
        await _restart(topology, victims)
    elif kind == "kafka-restart":
        await asyncio.to_thread(servers.stop_kafka)
        await asyncio.to_thread(servers.start_kafka)
    elif kind == "postgres-restart":
        await asyncio.to_thread(servers.stop_postgres)
        await asyncio.to_thread(servers.start_postgres)
    elif kind == "poison":
        # Within an enterprise of the stream, so that its partition carries the poison among real events.
        subject = next(w.uscc for w in reversed(driver.writes) if w.accepted)
        poison = Envelope(source="registry", type=EnterpriseRegistered.TYPE, subject=subject,
                          data={"uscc": subject, "enterprise": {"poison": True}})  # fmt: skip
        bus = KafkaBus(topology.kafka_bootstrap, namespace=topology.env["SRDI_KAFKA_NAMESPACE"])
        await bus.start()
        try:
            await bus.publish(topic_for_source("registry"), [poison])
        finally:
            await bus.stop()
        return [poison.id]
    elif kind == "all-at-once":
        poison_ids = await _inject("poison", topology, servers, driver)
        await asyncio.to_thread(servers.kill_broker, KILLED_BROKER)
        topology.pause(PAUSED)
        everyone = ("registry", "eligibility", "finance_match", "notifications", "registry-relay",
                    "finance_match-relay", "notifications-relay")  # fmt: skip
        for label in everyone:
            topology.kill(label)
        await asyncio.sleep(SESSION_TIMEOUT_MS / 1000 * 1.5)  # the pause, as in consumer-pause
        topology.resume(PAUSED)
        await asyncio.gather(asyncio.to_thread(servers.stop_kafka), asyncio.to_thread(servers.stop_postgres))
        # start_kafka starts every broker that is down, the one SIGKILLed before included
        await asyncio.gather(asyncio.to_thread(servers.start_kafka), asyncio.to_thread(servers.start_postgres))
        await _restart(topology, everyone)
        return poison_ids
    else:
        raise ValueError(kind)
    return []


async def _heal(kind: str, servers: FaultServers) -> None:
    if kind == "broker-kill":
        await asyncio.to_thread(servers.start_kafka)  # starts the killed broker, waits until all three answer


async def _canary(driver: LoadDriver, serial: int) -> None:
    body = enterprise(serial, county="530102")
    uscc = body["uscc"]
    async with httpx.AsyncClient(base_url=driver.gateway_url, timeout=10,
                                 headers={"Authorization": f"Bearer {driver.admin_key}"}) as admin:  # fmt: skip
        write = Write("registration", uscc, uuid.uuid4().hex, 0)
        assert await driver._send(admin, write, "POST", "/api/v1/registry/enterprises", body) is not None

        async def status(path: str) -> int:
            try:
                return (await admin.get(path)).status_code
            except httpx.HTTPError:
                return 0

        await eventually(lambda: status(f"/api/v1/eligibility/enterprises/{uscc}/assessment"), lambda s: s == 200,
                         timeout=180, interval=0.1, what="the canary's assessment")  # fmt: skip
        await eventually(lambda: status(f"{FINANCE}/pairings/{uscc}"), lambda s: s == 200,
                         timeout=180, interval=0.1, what="finance_match knowing the canary")  # fmt: skip
        await eventually(lambda: status(f"/api/v1/notifications/enterprises/{uscc}/officer"), lambda s: s == 200,
                         timeout=180, interval=0.1, what="notifications knowing the canary")  # fmt: skip


async def run_fault(kind: str, topology: FaultTopology, servers: FaultServers, writes: int, serial_base: int,
                    rate: float, workers: int = 8) -> FaultResult:  # fmt: skip
    driver = LoadDriver(topology.gateway_url, topology.admin_key, math.ceil(writes / WRITES_PER_ENTERPRISE),
                        serial_base, workers=workers, rate=rate)  # fmt: skip
    started = time.monotonic()
    stream = asyncio.create_task(driver.run())

    async def accepted() -> int:
        return driver.accepted

    await eventually(accepted, lambda n: n >= writes // 3 or stream.done(), timeout=600, what="a third accepted")
    fault_at = time.monotonic()
    poison_ids = await _inject(kind, topology, servers, driver)
    await _canary(driver, serial_base + 900_000)
    recovery = time.monotonic() - fault_at
    await _heal(kind, servers)
    await stream
    ended = time.monotonic()

    async def check() -> Reconciliation:
        try:
            return await reconcile(driver.writes, topology.database_url)
        except Exception as error:  # a database still coming back: poll again
            failed = Reconciliation(not_accepted=-1)
            failed.order_violations.append(f"unreadable: {error}")
            return failed

    result = await eventually(check, lambda r: r.clean, timeout=240, interval=0.5, what=f"{kind}: every effect")
    drain = time.monotonic() - ended
    return FaultResult(kind, len(driver.writes), result, recovery, drain, ended - started, poison_ids)
