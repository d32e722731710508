"""The enterprise as events carry it (and as the API shows it): one place that reads the aggregate."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from services.registry.persistence.tables import Enterprise, EnterpriseKeyField, FinancialReport, Recognition
from shared.events.catalogue import EnterpriseSnapshot, FinancialYear, RecognitionHeld
from shared.uow import UnitOfWork

FACT_FIELDS = (
    "legal_representative", "address", "main_products", "ip", "rd_institutions", "digital_level", "core_systems",
    "management_certs", "product_certs", "quality", "field_flags", "national_market_share", "champion", "awards",
    "international_market_share", "market_position_attested", "evaluation_scores",
    "renown_attested", "group_little_giant_similar",
    "maker_china", "honours", "compliance", "province_features",
)  # fmt: skip
FINANCIAL_FIELDS = tuple(name for name in FinancialYear.model_fields if name != "year")


async def load_aggregate(
    uow: UnitOfWork, uscc: str
) -> tuple[Enterprise | None, list[FinancialReport], list[Recognition], list[str]]:
    session = uow.session
    enterprise = await session.get(Enterprise, uscc)
    if enterprise is None:
        return None, [], [], []
    financials = list(
        await session.exec(
            select(FinancialReport).where(FinancialReport.uscc == uscc).order_by(col(FinancialReport.year))
        )
    )
    recognitions = list(
        await session.exec(select(Recognition).where(Recognition.uscc == uscc).order_by(col(Recognition.valid_from)))
    )
    tags = list(await session.exec(select(EnterpriseKeyField.code).where(EnterpriseKeyField.uscc == uscc)))
    return enterprise, financials, recognitions, sorted(tags)


def financial_year(report: FinancialReport) -> FinancialYear:
    return FinancialYear(year=report.year, **{name: getattr(report, name) for name in FINANCIAL_FIELDS})


def recognition_held(recognition: Recognition) -> RecognitionHeld:
    return RecognitionHeld(
        tier=recognition.tier, level=recognition.level, batch=recognition.batch,
        valid_from=recognition.valid_from, valid_to=recognition.valid_to,
    )  # fmt: skip


def snapshot(
    enterprise: Enterprise, financials: list[FinancialReport], recognitions: list[Recognition], tags: list[str]
) -> EnterpriseSnapshot:
    return EnterpriseSnapshot(
        uscc=enterprise.uscc,
        name=enterprise.name,
        prefecture_code=enterprise.prefecture_code,
        county_code=enterprise.county_code,
        industry_code=enterprise.industry_code,
        size_class=enterprise.size_class,
        established_on=enterprise.established_on,
        niche_market=enterprise.niche_market,
        niche_since=enterprise.niche_since,
        key_fields=tags,
        contact_email=enterprise.contact_email,
        financials=[financial_year(f) for f in financials],
        recognitions=[recognition_held(r) for r in recognitions],
        facts=facts_of(enterprise),
        version=enterprise.version,
    )


def facts_of(enterprise: Enterprise) -> dict[str, Any]:
    facts = {name: getattr(enterprise, name) for name in FACT_FIELDS}
    for name in ("national_market_share", "international_market_share"):
        facts[name] = str(facts[name]) if facts[name] is not None else None
    return facts


def public_view(
    enterprise: Enterprise, financials: list[FinancialReport], recognitions: list[Recognition], tags: list[str]
) -> dict[str, Any]:
    today = date.today()
    view = enterprise.model_dump()
    view["key_fields"] = tags
    view["financials"] = [financial_year(f).model_dump() for f in financials]
    view["recognitions"] = [
        recognition_held(r).model_dump() | {"valid": r.valid_from <= today <= r.valid_to} for r in recognitions
    ]
    return view
