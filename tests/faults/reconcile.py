"""After a run: every accepted write checked against each of its downstream effects, read straight
from the services' own databases.

Effects, per accepted write:
- ``registry row+event``: registration / financial report row in the registry and exactly one outbox
  event announcing it (two would be a doubled write: a retry applied twice);
- ``relay published``: that outbox event published to Kafka;
- ``eligibility applied``: the event in eligibility's inbox;
- ``eligibility assessment``: one assessment per registry event of the enterprise;
- ``finance enterprise view``: finance_match learnt of each registered enterprise;
- ``finance need``: the need row, one per accepted need (per enterprise);
- ``finance need.posted event``: exactly one ``srdi.finance.need.posted.v1`` in finance_match's outbox;
- ``finance feed entry``: the need shared into the bank's feed exactly once;
- ``notif. enterprise view``: notifications learnt of each registered enterprise;
- ``notif. officer assigned``: exactly one assignment row per enterprise (a redelivered registry event
  must not assign again), and exactly one ``officer.assigned`` event in notifications' outbox;
- ``officer projected (reg/elig)``: that event applied by the registry's and eligibility's consumers;
- ``notif. request``: the service request row, one per accepted request (per enterprise);
- ``notif. officer inbox``: the officer's inbox item for the request (``request:<id>``), exactly once.

Per-enterprise order: eligibility applied each enterprise's events in the registry's outbox order, and
its projection holds the registry's latest version.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.faults.driver import Write

REGISTERED = "srdi.registry.enterprise.registered.v1"
FINANCIALS = "srdi.registry.financials.reported.v1"
NEED_POSTED = "srdi.finance.need.posted.v1"
OFFICER_ASSIGNED = "srdi.notifications.officer.assigned.v1"


@dataclass
class Figure:
    accepted: int = 0
    applied: int = 0
    lost: int = 0
    doubled: int = 0

    def add(self, count: int) -> None:
        """One accepted write whose effect was found ``count`` times."""
        self.accepted += 1
        if count >= 1:
            self.applied += 1
        if count == 0:
            self.lost += 1
        if count > 1:
            self.doubled += 1


@dataclass
class Reconciliation:
    figures: dict[str, Figure] = field(default_factory=lambda: defaultdict(Figure))
    order_violations: list[str] = field(default_factory=list)
    dead_letters: dict[str, list[str]] = field(default_factory=dict)  # service -> event ids
    not_accepted: int = 0

    @property
    def lost(self) -> int:
        return sum(f.lost for f in self.figures.values())

    @property
    def doubled(self) -> int:
        return sum(f.doubled for f in self.figures.values())

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.doubled == 0 and not self.order_violations

    def table(self) -> str:
        lines = [f"{'effect':<28}{'accepted':>10}{'applied':>10}{'lost':>8}{'doubled':>9}"]
        for name, f in self.figures.items():
            lines.append(f"{name:<28}{f.accepted:>10}{f.applied:>10}{f.lost:>8}{f.doubled:>9}")
        lines.append(f"order violations: {len(self.order_violations)}; writes not accepted: {self.not_accepted}")
        return "\n".join(lines)


async def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def reconcile(writes: list[Write], database_url: Any) -> Reconciliation:
    """``database_url(service)`` gives each service's own database URL."""
    result = Reconciliation(not_accepted=sum(1 for w in writes if not w.accepted))
    accepted = [w for w in writes if w.accepted]
    usccs = sorted({w.uscc for w in accepted if w.kind == "registration"})
    registry, eligibility, finance, notifications = (
        database_url(s) for s in ("registry", "eligibility", "finance_match", "notifications")
    )
    p = {"usccs": usccs}
    any_uscc = "= ANY(CAST(:usccs AS varchar[]))"

    enterprises = dict(await _rows(registry, f"SELECT uscc, version FROM enterprise WHERE uscc {any_uscc}", **p))
    reports = {
        (u, y) for u, y in await _rows(registry, f"SELECT uscc, year FROM financial_report WHERE uscc {any_uscc}", **p)
    }
    outbox = await _rows(registry, f"SELECT id, event_id, type, subject, envelope, published_at FROM outbox "
                                   f"WHERE subject {any_uscc} ORDER BY id", **p)  # fmt: skip
    events_of: dict[tuple[str, str, int | None], list[Any]] = defaultdict(list)
    stream: dict[str, list[str]] = defaultdict(list)  # uscc -> event ids in outbox order
    for row in outbox:
        data = json.loads(row.envelope)["data"]
        year = data.get("year") if row.type == FINANCIALS else None
        events_of[(row.subject, row.type, year)].append(row)
        stream[row.subject].append(row.event_id)

    inbox = {e: at for e, at in await _rows(eligibility, "SELECT event_id, processed_at FROM inbox "
                                                         "WHERE consumer = 'eligibility'")}  # fmt: skip
    assessed = await _rows(eligibility, f"SELECT uscc FROM assessment WHERE uscc {any_uscc}", **p)
    assessments = Counter(u for (u,) in assessed)
    facts = dict(
        await _rows(eligibility, f"SELECT uscc, snapshot_version FROM facts_projection WHERE uscc {any_uscc}", **p)
    )

    for w in accepted:
        if w.kind in ("need", "request"):
            continue
        key = (w.uscc, REGISTERED, None) if w.kind == "registration" else (w.uscc, FINANCIALS, w.year)
        events = events_of.get(key, [])
        row_there = w.uscc in enterprises if w.kind == "registration" else (w.uscc, w.year) in reports
        result.figures["registry row+event"].add(len(events) if row_there else 0)
        result.figures["relay published"].add(sum(1 for e in events if e.published_at is not None))
        result.figures["eligibility applied"].add(sum(1 for e in events if e.event_id in inbox))
    for uscc in usccs:
        expected = len(stream[uscc])
        found = assessments.get(uscc, 0)
        for _ in range(expected):
            result.figures["eligibility assessment"].add(1 if found > 0 else 0)
            found -= 1
        if found > 0:  # more assessments than events: some event assessed twice
            result.figures["eligibility assessment"].doubled += found
        applied_at = [inbox[e] for e in stream[uscc] if e in inbox]
        if applied_at != sorted(applied_at):
            result.order_violations.append(f"{uscc}: eligibility applied its events out of order")
        if uscc in facts and facts[uscc] != enterprises.get(uscc):
            result.order_violations.append(f"{uscc}: projection at version {facts[uscc]}, registry at "
                                           f"{enterprises.get(uscc)}")  # fmt: skip

    views = {u for (u,) in await _rows(finance, f"SELECT uscc FROM enterprise_view WHERE uscc {any_uscc}", **p)}
    for uscc in usccs:
        result.figures["finance enterprise view"].add(1 if uscc in views else 0)
    needs = await _rows(finance, f"SELECT id, uscc FROM need WHERE uscc {any_uscc}", **p)
    need_ids = {n.id for n in needs}
    needs_per_uscc = Counter(n.uscc for n in needs)
    posted_rows = await _rows(finance, f"SELECT envelope FROM outbox WHERE type = :t AND subject {any_uscc}",
                              t=NEED_POSTED, **p)  # fmt: skip
    posted = Counter(json.loads(e)["data"]["need_id"] for (e,) in posted_rows)
    feed = Counter((n, k) for n, k in await _rows(finance, "SELECT need_id, kind FROM feed_entry "
                                                           "WHERE bank_id = 'bank-f'"))  # fmt: skip
    accepted_needs = Counter(w.uscc for w in accepted if w.kind == "need")
    for w in accepted:
        if w.kind != "need":
            continue
        count = 1 if w.need_id in need_ids else 0
        if count and needs_per_uscc[w.uscc] > accepted_needs[w.uscc]:
            count = 2  # the enterprise has more needs than it was told were accepted
        result.figures["finance need"].add(count)
        result.figures["finance need.posted event"].add(posted.get(w.need_id or "", 0))
        result.figures["finance feed entry"].add(feed.get((w.need_id or "", "need.shared"), 0))

    await _notifications(result, accepted, usccs, notifications, registry, eligibility)
    for service, url in (("registry", registry), ("eligibility", eligibility), ("finance_match", finance),
                         ("notifications", notifications)):  # fmt: skip
        result.dead_letters[service] = [e for (e,) in await _rows(url, "SELECT event_id FROM dead_letter")]
    return result


async def _notifications(result: Reconciliation, accepted: list[Write], usccs: list[str], notifications: str,
                         registry: str, eligibility: str) -> None:  # fmt: skip
    p = {"usccs": usccs}
    any_uscc = "= ANY(CAST(:usccs AS varchar[]))"
    views = {u for (u,) in await _rows(notifications, f"SELECT uscc FROM enterprise_view WHERE uscc {any_uscc}", **p)}
    assignments = Counter(
        u for (u,) in await _rows(notifications, f"SELECT uscc FROM assignment WHERE uscc {any_uscc}", **p)
    )
    assigned_rows = await _rows(notifications, f"SELECT event_id, subject FROM outbox WHERE type = :t "
                                               f"AND subject {any_uscc}", t=OFFICER_ASSIGNED, **p)  # fmt: skip
    assigned_events: dict[str, list[str]] = defaultdict(list)
    for event_id, subject in assigned_rows:
        assigned_events[subject].append(event_id)
    projected = {}
    for service, url in (("registry", registry), ("eligibility", eligibility)):
        inbox = {e for (e,) in await _rows(url, "SELECT event_id FROM inbox WHERE consumer = :c", c=service)}
        projected[service] = inbox
    for uscc in usccs:
        result.figures["notif. enterprise view"].add(1 if uscc in views else 0)
        result.figures["notif. officer assigned"].add(assignments.get(uscc, 0))
        result.figures["notif. officer.assigned event"].add(len(assigned_events[uscc]))
        for service in ("registry", "eligibility"):
            found = sum(1 for e in assigned_events[uscc] if e in projected[service])
            result.figures[f"officer projected ({service[:4]})"].add(min(found, 1) if assigned_events[uscc] else 0)
    requests = await _rows(notifications, f"SELECT id, uscc FROM service_request WHERE uscc {any_uscc}", **p)
    request_ids = {r.id for r in requests}
    requests_per_uscc = Counter(r.uscc for r in requests)
    accepted_requests = Counter(w.uscc for w in accepted if w.kind == "request")
    notice_sql = "SELECT event_id FROM message WHERE event_id LIKE 'request:%' AND recipient LIKE 'officer:%'"
    notices = Counter(e for (e,) in await _rows(notifications, notice_sql))
    for w in accepted:
        if w.kind != "request":
            continue
        count = 1 if w.request_id in request_ids else 0
        if count and requests_per_uscc[w.uscc] > accepted_requests[w.uscc]:
            count = 2  # the enterprise has more requests than it was told were accepted
        result.figures["notif. request"].add(count)
        result.figures["notif. officer inbox"].add(notices.get(f"request:{w.request_id}", 0))
