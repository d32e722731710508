"""Read side: the filtered, cursor-paginated list of enterprises (and the same filter for export)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import select

from services.registry.domain.model import mask_contact
from services.registry.persistence.tables import Enterprise, EnterpriseKeyField, Recognition
from shared.errors import BadRequest
from shared.identity import Principal, Role
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class EnterpriseFilter:
    prefecture: str | None = None
    county: str | None = None
    tier: str | None = None
    industry: str | None = None
    key_field: str | None = None
    size_class: str | None = None
    q: str | None = None


def encode_cursor(uscc: str) -> str:
    return base64.urlsafe_b64encode(uscc.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("bad-cursor", "Invalid cursor", "分页游标无效") from error


def scoped_query(principal: Principal, flt: EnterpriseFilter, today: date) -> Any:
    query = select(Enterprise)
    if principal.role is Role.PREFECTURE_OPERATOR:
        query = query.where(Enterprise.prefecture_code == principal.tenant)
    elif principal.role is Role.ENTERPRISE:
        query = query.where(Enterprise.uscc == principal.tenant)
    if flt.prefecture:
        query = query.where(Enterprise.prefecture_code == flt.prefecture)
    if flt.county:
        query = query.where(Enterprise.county_code == flt.county)
    if flt.industry:
        query = query.where(Enterprise.industry_code.startswith(flt.industry.upper()))  # type: ignore[attr-defined]
    if flt.size_class:
        query = query.where(Enterprise.size_class == flt.size_class)
    if flt.q:
        pattern = f"%{flt.q.strip()}%"
        query = query.where(or_(Enterprise.name.like(pattern), Enterprise.uscc.like(pattern)))  # type: ignore[attr-defined]
    if flt.key_field:
        query = query.where(
            Enterprise.uscc.in_(  # type: ignore[attr-defined]
                select(EnterpriseKeyField.uscc).where(EnterpriseKeyField.code == flt.key_field)
            )
        )
    if flt.tier:
        query = query.where(
            Enterprise.uscc.in_(  # type: ignore[attr-defined]
                select(Recognition.uscc).where(
                    Recognition.tier == flt.tier, Recognition.valid_from <= today, Recognition.valid_to >= today
                )
            )
        )
    return query


async def list_page(
    uow: UnitOfWork, principal: Principal, flt: EnterpriseFilter, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    today = date.today()
    query = scoped_query(principal, flt, today).order_by(Enterprise.uscc).limit(limit + 1)
    if cursor:
        query = query.where(Enterprise.uscc > decode_cursor(cursor))
    rows = list(await uow.session.exec(query))
    page, more = rows[:limit], len(rows) > limit
    summaries = await summarise(uow, page, today)
    return summaries, (encode_cursor(page[-1].uscc) if more and page else None)


async def summarise(uow: UnitOfWork, enterprises: list[Enterprise], today: date) -> list[dict[str, Any]]:
    ids = [e.uscc for e in enterprises]
    tags: dict[str, list[str]] = {}
    tiers: dict[str, list[str]] = {}
    if ids:
        for uscc, code in await uow.session.exec(
            select(EnterpriseKeyField.uscc, EnterpriseKeyField.code).where(EnterpriseKeyField.uscc.in_(ids))  # type: ignore[attr-defined]
        ):
            tags.setdefault(uscc, []).append(code)
        for uscc, tier in await uow.session.exec(
            select(Recognition.uscc, Recognition.tier).where(
                Recognition.uscc.in_(ids),  # type: ignore[attr-defined]
                Recognition.valid_from <= today,
                Recognition.valid_to >= today,
            )
        ):
            tiers.setdefault(uscc, []).append(tier)
    return [
        {
            "uscc": e.uscc,
            "name": e.name,
            "prefecture_code": e.prefecture_code,
            "county_code": e.county_code,
            "industry_code": e.industry_code,
            "size_class": e.size_class,
            "key_fields": sorted(tags.get(e.uscc, [])),
            "tiers_held": sorted(set(tiers.get(e.uscc, []))),
            "contact_phone": mask_contact(e.contact_phone) if e.contact_phone else None,
        }
        for e in enterprises
    ]


async def stream_filtered(
    uow: UnitOfWork, principal: Principal, flt: EnterpriseFilter, chunk: int = 1000
) -> AsyncIterator[Enterprise]:
    """Every matching enterprise, in chunks by key (for export), without loading all at once."""
    after: str | None = None
    today = date.today()
    while True:
        query = scoped_query(principal, flt, today).order_by(Enterprise.uscc).limit(chunk)
        if after:
            query = query.where(Enterprise.uscc > after)
        rows = list(await uow.session.exec(query))
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        after = rows[-1].uscc
