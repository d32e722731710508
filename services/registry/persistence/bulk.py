"""Set-based writes of an import batch: resolve, then write — a few statements per batch, not one ORM
object and savepoint per enterprise.

1. ``resolve`` reads every enterprise of the batch in one query (locked on PostgreSQL) and decides
   per enterprise: new, update, or refused (out of scope, stale version). A dry run stops here, so it
   predicts the real outcome.
2. ``write`` stages the batch into temporary tables — COPY on PostgreSQL, multi-row INSERT on SQLite
   (``shared.bulkload``) — and applies it with ``INSERT … SELECT … ON CONFLICT DO NOTHING``,
   ``UPDATE … FROM`` with a compare-and-set on the version, and ``INSERT … ON CONFLICT DO UPDATE`` for
   the financial years; ``RETURNING`` tells which enterprises really changed. It emits one event per
   changed enterprise (``EnterpriseRegistered``; ``FinancialsReported`` when one year alone changed;
   ``EnterpriseUpdated`` otherwise), which the unit of work writes to the outbox in bulk in the
   same transaction. An unchanged enterprise is applied without a write or an event.
3. ``apply`` runs ``write`` in a savepoint; if the database refuses the batch, it bisects the batch
   until the enterprises at fault stand alone, so that one enterprise failing never sinks the others.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from pydantic_core import to_json
from sqlalchemy import JSON, Column, Integer, MetaData, Table, any_, bindparam, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateTable

from services.registry.api.schemas import EnterpriseCreate, EnterpriseFacts, FinancialReportIn
from services.registry.domain.importing import ENTERPRISE_FIELDS
from services.registry.persistence.tables import Enterprise, EnterpriseKeyField, FinancialReport, Recognition, metadata
from services.registry.usecases import access, validation
from services.registry.usecases.snapshots import FACT_FIELDS, FINANCIAL_FIELDS
from shared.bulkload import append_rows, copy_lines
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    FinancialsReported,
    FinancialYear,
    IntegrationEvent,
)
from shared.events.serialised import PreparedEvent, serialise_batch
from shared.identity import Principal
from shared.logs import current_traceparent
from shared.problems import Problem
from shared.uow import UnitOfWork

ENTERPRISE = metadata.tables[Enterprise.__tablename__]
FINANCIAL = metadata.tables[FinancialReport.__tablename__]
RECOGNITION = metadata.tables[Recognition.__tablename__]
KEY_FIELD = metadata.tables[EnterpriseKeyField.__tablename__]

UPDATABLE = tuple(name for name in ENTERPRISE_FIELDS if name != "uscc")  # what a row of the template carries
STAGED = ("uscc", *UPDATABLE, "prefecture_code", "size_class", "version", "created_at", "updated_at")
_JSON_COLUMNS = [c.name for c in ENTERPRISE.columns if isinstance(c.type, JSON)]
# The stored form of facts an import never carries, exactly as ``commands.register`` stores them.
_DEFAULT_FACTS: dict[str, Any] = EnterpriseFacts().model_dump(mode="python")
DEFAULT_JSON = {name: _DEFAULT_FACTS.get(name, {}) for name in _JSON_COLUMNS if name not in STAGED}
_NEW_FACTS = {name: _DEFAULT_FACTS.get(name) for name in FACT_FIELDS}
# Staging tables, temporary per connection: the batch is COPYed here, then applied in SQL.
STAGE = Table("import_stage_enterprise", MetaData(), *(Column(name, ENTERPRISE.c[name].type) for name in STAGED),
              Column("base_version", Integer), prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")  # fmt: skip
STAGE_REPORT = Table("import_stage_report", MetaData(), *(Column(c.name, c.type) for c in FINANCIAL.columns),
                     prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")  # fmt: skip


@dataclass(slots=True)
class Unit:
    """One enterprise's rows in a batch: applied or refused together."""

    uscc: str
    rows: list[int]
    enterprise: dict[str, Any]  # validated (``EnterpriseCreate``): uscc and the template's enterprise fields
    sent: frozenset[str]  # the enterprise cells the file filled in (blank cells leave the register as is)
    reports: dict[int, dict[str, Any]] = field(default_factory=dict)  # year → validated ``FinancialReportIn``
    versions: dict[int, int | None] = field(default_factory=dict)  # row → its version cell
    prepared: Prepared | None = None  # what registering it would write and announce, made ahead


@dataclass(slots=True)
class Prepared:
    """An enterprise's registration worked out ahead — in the reader, off the writer's path — from the
    file alone: nothing in it depends on the register or the clock (``prepare_new``)."""

    event: PreparedEvent  # the registration event, serialised
    row: dict[str, Any]  # its enterprise row and its years' rows, without the times the writer adds
    reports: list[dict[str, Any]]
    # The same rows as COPY text (``prepare_copy``; PostgreSQL): the writer only sends them.
    row_line: str | None = None
    report_lines: list[str] | None = None


def prepare_new(unit: Unit) -> None:
    """For a unit that may turn out new (no version cell): its rows and the event that registering
    it announces, exactly as ``_write`` would build them (used only if it is new)."""
    row = _new_values(unit)
    # Each year as the event states it (``FinancialYear``'s fields, in its order), and as its row.
    financials = [{"year": year, **report} for year, report in sorted(unit.reports.items())]
    reports = [{"uscc": unit.uscc, **year} for year in financials]
    event = PreparedEvent(EnterpriseRegistered, unit.uscc, registered_json(unit, row, financials))
    unit.prepared = Prepared(event, row, reports)


# The columns a new enterprise's rows are COPYed with, the writer's times being constants (``_write``).
_TIMES = ("created_at", "updated_at")
ROW_LINE_COLUMNS = [name for name in STAGED if name not in _TIMES]
REPORT_LINE_COLUMNS = [c.name for c in FINANCIAL.columns if c.name != "reported_at"]


def prepare_copy(units: Sequence[Unit]) -> None:
    """The COPY text of prepared units' rows, made for a whole batch at once (a column at a time)."""
    prepared = [unit for unit in units if unit.prepared is not None]
    rows = copy_lines(ENTERPRISE, [unit.prepared.row for unit in prepared if unit.prepared], ROW_LINE_COLUMNS)
    reports = copy_lines(FINANCIAL, [r for unit in prepared if unit.prepared for r in unit.prepared.reports],
                         REPORT_LINE_COLUMNS)  # fmt: skip
    if rows is None or reports is None:
        return
    at = 0
    for unit, line in zip(prepared, rows, strict=True):
        made = unit.prepared
        assert made is not None
        count = len(made.reports)
        made.row_line, made.report_lines = line, reports[at : at + count]  # set, not replaced: 100,000 a file
        at += count


@dataclass(frozen=True)
class Refusal:
    unit: Unit
    column: str
    zh: str
    en: str

    def value(self, row: int) -> str | None:
        if self.column == "版本号":
            version = self.unit.versions.get(row)
            return None if version is None else str(version)
        return self.unit.uscc


@dataclass
class Plan:
    new: list[Unit] = field(default_factory=list)
    updates: list[tuple[Unit, Mapping[str, Any]]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def accepted(self) -> list[Unit]:
        return self.new + [unit for unit, _ in self.updates]


@dataclass
class Written:
    applied: list[Unit] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    events: int = 0
    outbox_seconds: float = 0.0  # of the time above: building the events and their envelopes
    versions: dict[str, tuple[int, int]] = field(default_factory=dict)  # updated: uscc → (before, after)


def stale(unit: Unit, current: int) -> Refusal:
    given = sorted({v for v in unit.versions.values() if v is not None})
    shown = "、".join(map(str, given)) or "—"
    return Refusal(
        unit, "版本号",
        f"版本已过期：该企业当前版本为 {current}，文件中为 {shown}；请重新导出后再修改",
        f"stale version: the enterprise is now at version {current}, the file says {shown}; "
        "export it again and re-apply your changes",
    )  # fmt: skip


def not_registered(unit: Unit) -> Refusal:
    return Refusal(unit, "版本号", "该企业尚未登记：新企业的版本号请留空",
                   "not registered yet: leave the version blank for a new enterprise")  # fmt: skip


# --- 1. resolve ------------------------------------------------------------------------------


async def resolve(connection: AsyncConnection, units: Sequence[Unit], principal: Principal, lock: bool,
                  produced: Mapping[str, tuple[int, int]] | None = None) -> Plan:  # fmt: skip
    """``produced``: versions the same job already moved (uscc → (before, after))."""
    query = select(ENTERPRISE).where(_among(connection, ENTERPRISE.c.uscc, [unit.uscc for unit in units]))
    if lock:
        query = query.with_for_update()
    stored = {row.uscc: dict(row._mapping) for row in await connection.execute(query)}
    plan = Plan()
    for unit in units:
        row = stored.get(unit.uscc)
        given = {version for version in unit.versions.values() if version is not None}
        if row is None:
            if given:
                plan.refused.append(not_registered(unit))
            else:
                plan.new.append(unit)
            continue
        try:
            access.check_write(principal, cast(Enterprise, SimpleNamespace(**row)))
        except Problem as problem:
            plan.refused.append(Refusal(unit, "统一社会信用代码", problem.title_zh, problem.title))
            continue
        if given and given != {row["version"]}:
            before, after = (produced or {}).get(unit.uscc, (None, None))
            if not (given == {before} and after == row["version"]):
                plan.refused.append(stale(unit, row["version"]))
                continue
        plan.updates.append((unit, row))
    return plan


def _among(connection: AsyncConnection, column: Any, values: list[str]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY($1)`` with one array parameter, so that every
    batch runs the same prepared statement (IN gets one parameter per value: a new statement, parsed
    and planned, for each batch size)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


# --- 2. write --------------------------------------------------------------------------------


async def apply(uow: UnitOfWork, plan: Plan, now: datetime) -> Written:
    """Write the plan's accepted enterprises; isolate the ones the database refuses."""
    written = Written(refused=list(plan.refused))
    await _apply_isolated(uow, plan.new, plan.updates, now, written)
    return written


async def _apply_isolated(uow: UnitOfWork, new: list[Unit], updates: list[tuple[Unit, Mapping[str, Any]]],
                          now: datetime, written: Written, direct: bool = True) -> None:  # fmt: skip
    if not new and not updates:
        return
    try:
        async with uow.savepoint():
            outcome = await _write(uow, new, updates, now, direct=direct and bool(new))
    except Exception as error:
        if direct and new:  # someone registered one of them meanwhile: resolve the conflicts in SQL instead
            await _apply_isolated(uow, new, updates, now, written, direct=False)
            return
        if len(new) + len(updates) == 1:
            unit = new[0] if new else updates[0][0]
            message = str(error).splitlines()[0][:300]
            written.refused.append(Refusal(unit, "统一社会信用代码", "写入失败", f"write failed: {message}"))
            return
        # bisect: each half in its own savepoint
        for half_new, half_updates in ((new[: len(new) // 2], updates[: len(updates) // 2]),
                                       (new[len(new) // 2 :], updates[len(updates) // 2 :])):  # fmt: skip
            await _apply_isolated(uow, half_new, half_updates, now, written, direct=False)
        return
    written.applied += outcome.applied
    written.refused += outcome.refused
    written.events += outcome.events
    written.outbox_seconds += outcome.outbox_seconds
    written.versions |= outcome.versions


async def _write(uow: UnitOfWork, new: list[Unit], updates: list[tuple[Unit, Mapping[str, Any]]],
                 now: datetime, direct: bool) -> Written:  # fmt: skip
    """``direct``: the enterprises resolved as new are COPYed straight into their tables (a concurrent
    registration then fails the whole statement, and the caller retries through the staging tables)."""
    connection = await uow.session.connection()
    new_rows: list[dict[str, Any]] = []
    new_reports: list[dict[str, Any]] = []
    stage_rows: list[dict[str, Any]] = []
    report_rows: list[dict[str, Any]] = []
    events: dict[str, IntegrationEvent | PreparedEvent] = {}
    unchanged: list[Unit] = []
    row_lines: list[str] | None = [] if direct else None  # the rows' COPY text, where the reader made it
    report_lines: list[str] | None = [] if direct else None
    for unit in new:
        if unit.prepared is not None and direct:  # its rows as the reader made them; the times are constants
            new_rows.append(unit.prepared.row)
            new_reports += unit.prepared.reports
            events[unit.uscc] = unit.prepared.event
            line, lines = unit.prepared.row_line, unit.prepared.report_lines
            if row_lines is not None and report_lines is not None and line is not None and lines is not None:
                row_lines.append(line)
                report_lines += lines
            else:
                row_lines = report_lines = None
            continue
        row_lines = report_lines = None
        values = _new_row(unit, now) if not direct else _new_values(unit)
        years = [_report_row(unit.uscc, year, report, now) if not direct else _report_values(unit.uscc, year, report)
                 for year, report in sorted(unit.reports.items())]  # fmt: skip
        new_rows.append(values)
        new_reports += years
        events[unit.uscc] = unit.prepared.event if unit.prepared is not None else _registered(unit, values, years)
    if updates:
        stored = await _load_aggregates(connection, [unit.uscc for unit, _ in updates])
        for unit, row in updates:
            change = _change(unit, row, stored, now)
            if change is None:
                unchanged.append(unit)
                continue
            values, years, event = change
            stage_rows.append(values)
            report_rows += years
            events[unit.uscc] = event
    written = Written(applied=unchanged)
    landed: set[str] = set()
    if direct:
        times = {"created_at": now, "updated_at": now}
        await append_rows(connection, ENTERPRISE, new_rows, STAGED, constants=DEFAULT_JSON | times, lines=row_lines)
        await append_rows(connection, FINANCIAL, new_reports, [c.name for c in FINANCIAL.columns],
                          constants={"reported_at": now}, lines=report_lines)  # fmt: skip
        landed |= {unit.uscc for unit in new}
    else:
        stage_rows = new_rows + stage_rows
        report_rows = new_reports + report_rows
    if not stage_rows:
        return await _emit(uow, new, updates, events, landed, written, unchanged)

    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for table in (STAGE, STAGE_REPORT):  # kept per connection; emptied on commit (PostgreSQL) and here
        await connection.execute(CreateTable(table, if_not_exists=True))
        await connection.execute(table.delete())
    stage, reports = STAGE, STAGE_REPORT
    await append_rows(connection, stage, stage_rows, [*STAGED, "base_version"])
    await append_rows(connection, reports, report_rows, [c.name for c in FINANCIAL.columns])

    if new and not direct:
        defaults = [literal(value, JSON) for value in DEFAULT_JSON.values()]
        registered = (
            insert(ENTERPRISE)
            .from_select([*STAGED, *DEFAULT_JSON],
                         select(*(stage.c[name] for name in STAGED), *defaults).where(stage.c.base_version.is_(None)))
            .on_conflict_do_nothing(index_elements=["uscc"])
            .returning(ENTERPRISE.c.uscc)
        )  # fmt: skip
        landed |= set((await connection.execute(registered)).scalars())
    if len(stage_rows) > len(new):
        changed = (
            update(ENTERPRISE)
            .where(ENTERPRISE.c.uscc == stage.c.uscc, ENTERPRISE.c.version == stage.c.base_version)
            .values({name: stage.c[name] for name in STAGED if name not in ("uscc", "created_at")})
            .returning(ENTERPRISE.c.uscc)
        )
        landed |= set((await connection.execute(changed)).scalars())

    # Refused by a concurrent writer between resolve and write (registered meanwhile, or a newer version).
    for unit in new if not direct else []:
        if unit.uscc not in landed:
            written.refused.append(Refusal(unit, "统一社会信用代码", "该企业已登记", "Enterprise already registered"))
    for unit, row in updates:
        if unit.uscc in events and unit.uscc not in landed:
            written.refused.append(stale(unit, row["version"] + 1))
    lost = [r.unit.uscc for r in written.refused]
    if lost:
        await connection.execute(reports.delete().where(reports.c.uscc.in_(lost)))
    if report_rows:
        upsert = insert(FINANCIAL).from_select(
            [c.name for c in FINANCIAL.columns], select(*reports.columns).where(true())
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["uscc", "year"],
            set_={name: upsert.excluded[name] for name in (*FINANCIAL_FIELDS, "reported_at")},
        )
        await connection.execute(upsert)

    return await _emit(uow, new, updates, events, landed, written, unchanged)


async def _emit(uow: UnitOfWork, new: list[Unit], updates: list[tuple[Unit, Mapping[str, Any]]],
                events: dict[str, IntegrationEvent | PreparedEvent], landed: set[str], written: Written,
                unchanged: list[Unit]) -> Written:  # fmt: skip
    """One event per enterprise that really changed, into the unit of work's outbox."""
    started = time.perf_counter()
    emitted: list[IntegrationEvent | PreparedEvent] = []
    for unit in new:
        if unit.uscc in landed:
            emitted.append(events[unit.uscc])
            written.applied.append(unit)
    for unit, row in updates:
        if unit.uscc in landed:
            emitted.append(events[unit.uscc])
            written.applied.append(unit)
            written.versions[unit.uscc] = (row["version"], row["version"] + 1)
    uow.emit_serialised(serialise_batch(emitted, current_traceparent()))
    written.events = len(written.applied) - len(unchanged)
    written.outbox_seconds += time.perf_counter() - started
    return written


def unit_values(enterprise: EnterpriseCreate) -> dict[str, Any]:
    """What a unit carries of a validated enterprise (plain values: units cross process boundaries)."""
    return {name: getattr(enterprise, name) for name in ("uscc", *UPDATABLE)}


def _new_row(unit: Unit, now: datetime) -> dict[str, Any]:
    return _new_values(unit) | {"created_at": now, "updated_at": now, "base_version": None}


def _new_values(unit: Unit) -> dict[str, Any]:
    """A new enterprise's row, but for the times (as the reader prepared it, if it did)."""
    if unit.prepared is not None:
        return dict(unit.prepared.row)
    values = dict(unit.enterprise)
    latest = SimpleNamespace(**unit.reports[max(unit.reports)]) if unit.reports else None
    size_class = validation.size_class(values["industry_code"], latest) if latest else None
    values |= {
        "prefecture_code": validation.prefecture_of(values["county_code"]),
        "size_class": size_class,
        "version": 1,
    }  # fmt: skip
    return values


def _new_facts(unit: Unit) -> dict[str, Any]:
    return _NEW_FACTS | {"legal_representative": unit.enterprise["legal_representative"],
                         "main_products": unit.enterprise["main_products"]}  # fmt: skip


def _report_row(uscc: str, year: int, report: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"uscc": uscc, "year": year, **report, "reported_at": now}


def _report_values(uscc: str, year: int, report: dict[str, Any]) -> dict[str, Any]:
    return {"uscc": uscc, "year": year, **report}


@dataclass
class _Stored:
    financials: dict[str, dict[int, dict[str, Any]]]
    recognitions: dict[str, list[dict[str, Any]]]
    tags: dict[str, list[str]]


async def _load_aggregates(connection: AsyncConnection, usccs: list[str]) -> _Stored:
    stored = _Stored({u: {} for u in usccs}, {u: [] for u in usccs}, {u: [] for u in usccs})
    rows = await connection.execute(select(FINANCIAL).where(_among(connection, FINANCIAL.c.uscc, usccs)))
    for row in rows:
        stored.financials[row.uscc][row.year] = dict(row._mapping)
    rows = await connection.execute(
        select(RECOGNITION).where(_among(connection, RECOGNITION.c.uscc, usccs)).order_by(RECOGNITION.c.valid_from)
    )
    for row in rows:
        stored.recognitions[row.uscc].append(dict(row._mapping))
    rows = await connection.execute(
        select(KEY_FIELD).where(_among(connection, KEY_FIELD.c.uscc, usccs)).order_by(KEY_FIELD.c.code)
    )
    for row in rows:
        stored.tags[row.uscc].append(row.code)
    return stored


def _change(
    unit: Unit, row: Mapping[str, Any], stored: _Stored, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], IntegrationEvent] | None:
    """The update an enterprise's rows make, or None when they change nothing."""
    merged = dict(row)
    changed = []
    for name in UPDATABLE:
        if name in unit.sent and merged[name] != (value := unit.enterprise[name]):
            merged[name] = value
            changed.append(name)
    if "county_code" in changed:
        merged["prefecture_code"] = validation.prefecture_of(merged["county_code"])
        changed.append("prefecture_code")
    financials = stored.financials[unit.uscc]
    years = []
    for year, report in sorted(unit.reports.items()):
        values = _report_row(unit.uscc, year, report, now)
        before = financials.get(year)
        if before is None or any(before[name] != values[name] for name in FINANCIAL_FIELDS):
            financials[year] = values
            years.append(values)
    if not changed and not years:
        return None
    if financials:
        latest = SimpleNamespace(**financials[max(financials)])
        merged["size_class"] = validation.size_class(merged["industry_code"], latest)
    else:
        merged["size_class"] = None
    merged |= {"version": row["version"] + 1, "updated_at": now, "base_version": row["version"]}
    facts = {name: merged[name] for name in FACT_FIELDS}
    for name in ("national_market_share", "international_market_share"):
        facts[name] = str(facts[name]) if facts[name] is not None else None
    all_years = [financials[year] for year in sorted(financials)]
    snapshot = _snapshot(merged, all_years, stored.recognitions[unit.uscc], stored.tags[unit.uscc], facts)
    event: IntegrationEvent
    if not changed and len(years) == 1:
        event = FinancialsReported(uscc=unit.uscc, year=years[0]["year"], report=_year(years[0]), enterprise=snapshot)
    else:
        fields = sorted(changed + (["financials"] if years else []))
        event = EnterpriseUpdated(uscc=unit.uscc, changed_fields=fields, enterprise=snapshot)
    return {name: merged[name] for name in (*STAGED, "base_version")}, years, event


def _registered(unit: Unit, values: Mapping[str, Any], years: list[dict[str, Any]]) -> EnterpriseRegistered:
    """The event registering a new enterprise announces. (Validated, not ``model_construct``ed:
    pydantic's core validates the whole snapshot faster than Python constructs its models.)"""
    return EnterpriseRegistered(uscc=unit.uscc, enterprise=_snapshot(values, years, [], [], _new_facts(unit)))


def registered_json(unit: Unit, values: Mapping[str, Any], financials: list[dict[str, Any]]) -> bytes:
    """``_registered(unit, values, years).model_dump_json().encode()``, written straight from the values
    (``financials``: the years' ``FinancialYear`` fields, in the model's order, as ``prepare_new`` makes them):
    they have just passed the API's schemas (the template's and ``FinancialReportIn``), so they are of
    their fields' types, and pydantic's own serialiser writes them in the models' field order — no
    model is built (validating the snapshot again cost more than serialising it). The facts, the
    same for every new enterprise but for two, are filled into their JSON written once.
    ``test_import_fast_paths`` holds the two byte-for-byte equal."""
    head = to_json({"uscc": unit.uscc, "enterprise": _snapshot_head(values, financials, [], [])})
    enterprise = unit.enterprise
    # ``head`` ends with the snapshot's and the event's closing braces; facts and version come last.
    return b"".join((head[:-2], b',"facts":', _FACTS_OPENING, to_json(enterprise["legal_representative"]),
                     _FACTS_BETWEEN, to_json(enterprise["main_products"]), _FACTS_CLOSING,
                     b',"version":%d}}' % values["version"]))  # fmt: skip


def _facts_template() -> tuple[bytes, bytes, bytes]:
    """A new enterprise's facts as JSON (``_new_facts``), cut around its two own values."""
    representative, products = "\x00legal_representative\x00", "\x00main_products\x00"
    written = to_json(_NEW_FACTS | {"legal_representative": representative, "main_products": products})
    opening, _, rest = written.partition(to_json(representative))
    between, _, closing = rest.partition(to_json(products))
    assert closing and list(_NEW_FACTS)[:3] == ["legal_representative", "address", "main_products"]
    return opening, between, closing


_FACTS_OPENING, _FACTS_BETWEEN, _FACTS_CLOSING = _facts_template()
# A validated year's report (``FinancialReportIn``) after its year is a ``FinancialYear``, in order.
assert tuple(FinancialYear.model_fields) == ("year", *FinancialReportIn.model_fields)


def _year(values: Mapping[str, Any]) -> FinancialYear:
    return FinancialYear.model_validate(values)  # extra keys (uscc, reported_at) are ignored


def _snapshot(values: Mapping[str, Any], years: list[dict[str, Any]], recognitions: list[dict[str, Any]],
              tags: list[str], facts: dict[str, Any]) -> EnterpriseSnapshot:  # fmt: skip
    """The same snapshot ``snapshots.snapshot`` makes from the stored aggregate, from the values just
    written (validated from plain values in one call: pydantic's core is faster than constructing)."""
    return EnterpriseSnapshot.model_validate(_snapshot_values(values, years, recognitions, tags, facts))


def _snapshot_values(values: Mapping[str, Any], years: list[dict[str, Any]], recognitions: list[dict[str, Any]],
                     tags: list[str], facts: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """An ``EnterpriseSnapshot``'s fields, in the model's order."""
    return _snapshot_head(values, years, recognitions, tags) | {"facts": facts, "version": values["version"]}


def _snapshot_head(values: Mapping[str, Any], years: list[dict[str, Any]], recognitions: list[dict[str, Any]],
                   tags: list[str]) -> dict[str, Any]:  # fmt: skip
    """An ``EnterpriseSnapshot``'s fields but the last two (facts, version), in the model's order
    (``registered_json`` serialises them so)."""
    return {
        "uscc": values["uscc"], "name": values["name"], "prefecture_code": values["prefecture_code"],
        "county_code": values["county_code"], "industry_code": values["industry_code"],
        "size_class": values["size_class"], "established_on": values["established_on"],
        "niche_market": values["niche_market"], "niche_since": values["niche_since"], "key_fields": tags,
        "contact_email": values["contact_email"], "financials": years, "recognitions": recognitions,
    }  # fmt: skip
