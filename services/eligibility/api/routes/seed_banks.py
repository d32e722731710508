"""Seed banks (种子库) and target lists: build, list, show, export as XLSX."""

from __future__ import annotations

import asyncio
import io
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from openpyxl import Workbook
from pydantic import BaseModel, Field
from sqlmodel import col, select

from services.eligibility.api.deps import RuleBookDep, RuntimeDep
from services.eligibility.domain.vocabulary import Tier
from services.eligibility.persistence.tables import SeedBank
from services.eligibility.seed_banks import compute, load_candidates, to_row
from shared.api import PrincipalDep
from shared.events.catalogue import SeedBankIncluded
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden, not_found

router = APIRouter(prefix="/api/v1/eligibility", tags=["seed-banks"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SeedBankRequest(BaseModel):
    year: int = Field(ge=2023, le=2100, description="the year the bank is for / 年度")
    tier: Literal["innovative_sme", "srdi_sme", "little_giant"]
    prefecture: str | None = Field(default=None, description="province-wide when omitted (provincial operators)")


def scope_of(principal: Principal, requested: str | None) -> str | None:
    if principal.role is Role.PREFECTURE_OPERATOR:
        if requested not in (None, principal.tenant):
            raise forbidden("only your own prefecture", "只能查看本州（市）")
        return principal.tenant
    if not principal.is_province_wide:
        raise forbidden("operators only", "仅限管理部门")
    return requested


async def _build(body: SeedBankRequest, kind: str, principal: Principal, runtime: Any, book: Any) -> dict[str, Any]:
    prefecture = scope_of(principal, body.prefecture)
    async with runtime.uow() as uow:
        candidates, names = await load_candidates(uow, body.year, prefecture)
    bank = await asyncio.to_thread(compute, candidates, body.year, Tier(body.tier), book, kind)
    row = to_row(bank, names, kind, prefecture or "53", principal.subject)
    async with runtime.uow() as uow:
        uow.session.add(row)
        for entry in row.entries:  # each selected enterprise is announced (notifications tells its officer)
            included = SeedBankIncluded(uscc=entry["enterprise_id"], seed_bank_id=row.id, kind=kind, tier=row.tier,
                                        year=row.year, rank=entry["rank"], prefecture_code=entry["prefecture"])
            uow.emit(included)
        await uow.commit()
    return row.model_dump(mode="json")


@router.post("/seed-banks", status_code=201, summary="Build a seed bank / 建立种子库")
async def build_seed_bank(
    body: SeedBankRequest, principal: PrincipalDep, runtime: RuntimeDep, book: RuleBookDep
) -> dict[str, Any]:
    """Candidates from the valid lower tier, ranked by closeness, sized to 2× (innovative, SRDI) or
    3× (little giant) the year's growth target, split by prefecture, with the 31 January filing date."""
    return await _build(body, "seed_bank", principal, runtime, book)


@router.post("/target-lists", status_code=201, summary="Little-giant target list / 小巨人目标名单")
async def build_target_list(
    body: SeedBankRequest, principal: PrincipalDep, runtime: RuntimeDep, book: RuleBookDep
) -> dict[str, Any]:
    """Next year's national little-giant target list: valid SRDI SMEs with ≥ 2 invention patents that
    are eligible or nearly so (≥ 80% of the checks passed)."""
    if body.tier != "little_giant":
        raise Problem(422, "bad-tier", "Target lists are for little giants", "目标名单仅针对专精特新“小巨人”")
    return await _build(body, "target_list", principal, runtime, book)


@router.get("/seed-banks", summary="Seed banks and target lists / 种子库列表")
async def list_seed_banks(
    principal: PrincipalDep, runtime: RuntimeDep, year: int | None = None
) -> list[dict[str, Any]]:
    scope = scope_of(principal, None)
    query = select(SeedBank).order_by(col(SeedBank.created_at).desc())
    if year is not None:
        query = query.where(SeedBank.year == year)
    if scope is not None:
        query = query.where(SeedBank.scope == scope)
    async with runtime.uow() as uow:
        rows = await uow.session.exec(query)
        return [row.model_dump(mode="json", exclude={"entries"}) for row in rows]


async def _visible(principal: Principal, runtime: Any, bank_id: str) -> SeedBank:
    scope = scope_of(principal, None)
    async with runtime.uow() as uow:
        bank = await uow.session.get(SeedBank, bank_id)
    if bank is None or (scope is not None and bank.scope != scope):
        raise not_found("Seed bank", "种子库")
    return bank  # type: ignore[no-any-return]


@router.get("/seed-banks/{bank_id}", summary="One seed bank / 种子库详情")
async def show_seed_bank(bank_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    return (await _visible(principal, runtime, bank_id)).model_dump(mode="json")


@router.get("/seed-banks/{bank_id}/export.xlsx", summary="Export a seed bank / 导出种子库")
async def export_seed_bank(bank_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    bank = await _visible(principal, runtime, bank_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("种子库" if bank.kind == "seed_bank" else "目标名单")
    sheet.append([f"{bank.year}年 {bank.tier}", f"报备截止 filing by {bank.filing_deadline}", f"规则 {bank.rule_set}"])
    sheet.append(
        [
            "排名 rank",
            "统一社会信用代码",
            "企业名称",
            "州市 prefecture",
            "接近度 closeness",
            "结论 decision",
            "得分 score",
        ]
    )
    for entry in bank.entries:
        sheet.append([entry["rank"], entry["enterprise_id"], entry["name"], entry["prefecture"], entry["closeness"],
                      entry["decision"], entry["score"]])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    name = f"seed-bank-{bank.year}-{bank.tier}.xlsx"
    return Response(buffer.getvalue(), media_type=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})
