"""What can change in the register. Each command runs inside a unit of work the caller opened,
changes the aggregate, and emits exactly one event carrying the new snapshot; the caller commits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select

from services.registry.api.schemas import EnterpriseCreate, EnterpriseUpdate, FinancialReportIn, RecognitionIn
from services.registry.persistence.tables import Enterprise, EnterpriseKeyField, FinancialReport, Recognition
from services.registry.usecases import validation
from services.registry.usecases.snapshots import financial_year, load_aggregate, recognition_held, snapshot
from shared.errors import Conflict, Stale
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    FinancialsReported,
    RecognitionExpired,
    RecognitionGranted,
)
from shared.uow import UnitOfWork

JSON_FIELDS = {
    "ip", "rd_institutions", "quality", "field_flags", "champion", "awards", "maker_china", "honours", "compliance",
    "evaluation_scores",
}  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _plain(value: Any) -> Any:
    """Nested pydantic values become JSON-ready dicts for the JSON columns."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


async def register(
    uow: UnitOfWork,
    data: EnterpriseCreate,
    reports: dict[int, FinancialReportIn] | None = None,
    recognitions: list[RecognitionIn] | None = None,
) -> Enterprise:
    """Register an enterprise — with the financial years and recognitions an import or a data load
    brings along — as one change announced by one event."""
    if await uow.session.get(Enterprise, data.uscc) is not None:
        raise Conflict("already-registered", "Enterprise already registered", "该企业已登记", detail=data.uscc)
    now = _now()
    fields = data.model_dump(exclude={"key_fields"})
    enterprise = Enterprise(
        **{k: (_plain(getattr(data, k)) if k in JSON_FIELDS else v) for k, v in fields.items()},
        prefecture_code=validation.prefecture_of(data.county_code),
        size_class=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(enterprise)
    for code in data.key_fields:
        uow.session.add(EnterpriseKeyField(uscc=data.uscc, code=code))
    financials = [
        FinancialReport(uscc=data.uscc, year=year, reported_at=now, **report.model_dump())
        for year, report in sorted((reports or {}).items())
    ]
    for report in financials:
        validation.report_year(report.year)
        uow.session.add(report)
    if financials:
        enterprise.size_class = validation.size_class(enterprise.industry_code, financials[-1])
    held = [_recognition(data.uscc, r) for r in recognitions or []]
    uow.session.add_all(held)
    await uow.session.flush()
    uow.emit(
        EnterpriseRegistered(uscc=data.uscc, enterprise=snapshot(enterprise, financials, held, sorted(data.key_fields)))
    )
    return enterprise


async def update_enterprise(uow: UnitOfWork, enterprise: Enterprise, changes: EnterpriseUpdate) -> list[str]:
    """Apply a partial update; the caller has checked the version (If-Match)."""
    sent = changes.model_dump(exclude_unset=True)
    changed: list[str] = []
    for name in sent:
        value = getattr(changes, name)
        if name == "key_fields":
            if await _replace_tags(uow, enterprise.uscc, value or []):
                changed.append(name)
            continue
        new = _plain(value) if name in JSON_FIELDS else value
        if getattr(enterprise, name) != new:
            setattr(enterprise, name, new)
            changed.append(name)
    if "county_code" in changed:
        enterprise.prefecture_code = validation.prefecture_of(enterprise.county_code)
        changed.append("prefecture_code")
    if "industry_code" in changed:
        await _refresh_size_class(uow, enterprise)
    if not changed:
        return []
    await _bump_version(uow, enterprise)
    uow.emit(
        EnterpriseUpdated(
            uscc=enterprise.uscc, changed_fields=sorted(changed), enterprise=await _snapshot_now(uow, enterprise)
        )
    )
    return changed


async def _snapshot_now(uow: UnitOfWork, enterprise: Enterprise) -> EnterpriseSnapshot:
    """The aggregate as it stands in this transaction, for the event that announces the change."""
    _, financials, recognitions, tags = await load_aggregate(uow, enterprise.uscc)
    return snapshot(enterprise, financials, recognitions, tags)


async def _bump_version(uow: UnitOfWork, enterprise: Enterprise) -> None:
    """Compare-and-set on the version: a concurrent writer that read the same version loses (412)."""
    result = await uow.session.execute(
        update(Enterprise)
        .where(Enterprise.uscc == enterprise.uscc, Enterprise.version == enterprise.version)  # type: ignore[arg-type]
        .values(version=enterprise.version + 1, updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise stale()
    enterprise.version += 1


def stale() -> Stale:
    return Stale("stale-version", "The enterprise changed since you read it", "该企业信息已被他人修改，请刷新后重试")


async def _replace_tags(uow: UnitOfWork, uscc: str, codes: list[str]) -> bool:
    current = set(await uow.session.exec(select(EnterpriseKeyField.code).where(EnterpriseKeyField.uscc == uscc)))
    if current == set(codes):
        return False
    await uow.session.execute(delete(EnterpriseKeyField).where(EnterpriseKeyField.uscc == uscc))  # type: ignore[arg-type]
    for code in sorted(set(codes)):
        uow.session.add(EnterpriseKeyField(uscc=uscc, code=code))
    return True


async def report_financials(uow: UnitOfWork, enterprise: Enterprise, year: int, data: FinancialReportIn) -> bool:
    """Create or replace one year's report. Returns True when it was new."""
    validation.report_year(year)
    report = await uow.session.get(FinancialReport, (enterprise.uscc, year))
    created = report is None
    if report is None:
        report = FinancialReport(uscc=enterprise.uscc, year=year, reported_at=_now())
    for name, value in data.model_dump().items():
        setattr(report, name, value)
    report.reported_at = _now()
    uow.session.add(report)
    await uow.session.flush()
    await _refresh_size_class(uow, enterprise)
    await _bump_version(uow, enterprise)
    uow.emit(
        FinancialsReported(
            uscc=enterprise.uscc,
            year=year,
            report=financial_year(report),
            enterprise=await _snapshot_now(uow, enterprise),
        )
    )
    return created


async def _refresh_size_class(uow: UnitOfWork, enterprise: Enterprise) -> None:
    latest = (
        await uow.session.exec(
            select(FinancialReport).where(FinancialReport.uscc == enterprise.uscc).order_by(FinancialReport.year.desc())  # type: ignore[attr-defined]
        )
    ).first()
    enterprise.size_class = validation.size_class(enterprise.industry_code, latest) if latest else None
    uow.session.add(enterprise)


def _recognition(uscc: str, data: RecognitionIn) -> Recognition:
    assert data.valid_to is not None  # RecognitionIn fills it (three years)
    return Recognition(
        uscc=uscc, tier=data.tier, level=data.level, batch=data.batch, valid_from=data.valid_from,
        valid_to=data.valid_to,
    )  # fmt: skip


async def grant_recognition(uow: UnitOfWork, enterprise: Enterprise, data: RecognitionIn) -> Recognition:
    recognition = _recognition(enterprise.uscc, data)
    uow.session.add(recognition)
    await uow.session.flush()
    await _bump_version(uow, enterprise)
    uow.emit(
        RecognitionGranted(
            uscc=enterprise.uscc,
            recognition=recognition_held(recognition),
            enterprise=await _snapshot_now(uow, enterprise),
        )
    )
    return recognition


async def expire_recognitions(uow: UnitOfWork, today: date) -> int:
    """Announce every recognition whose validity ended before ``today`` (once each, with any number of
    replicas): the rows are claimed by one conditional UPDATE before anything is announced, so a second
    replica's UPDATE waits for the first to commit and then finds nothing left to claim."""
    claim = (
        update(Recognition)
        .where(col(Recognition.valid_to) < today, col(Recognition.expired_announced).is_(False))
        .values(expired_announced=True)
        .returning(col(Recognition.id))
        .execution_options(synchronize_session=False)
    )
    claimed = sorted(row[0] for row in await uow.session.execute(claim))
    for recognition_id in claimed:
        recognition = await uow.session.get(Recognition, recognition_id, populate_existing=True)
        assert recognition is not None
        enterprise = await uow.session.get(Enterprise, recognition.uscc)
        assert enterprise is not None  # a recognition's enterprise is never deleted (foreign key)
        uow.emit(
            RecognitionExpired(
                uscc=recognition.uscc, recognition=recognition_held(recognition),
                enterprise=await _snapshot_now(uow, enterprise),
            )
        )  # fmt: skip
    return len(claimed)
