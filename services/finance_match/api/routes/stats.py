"""Statistics, the XLSX export, the response league table, and the enterprise summary the
gateway's dashboard reads. A prefecture operator gets only its prefecture."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Response
from sqlmodel import select

from services.finance_match.api.deps import RuntimeDep
from services.finance_match.domain.vocabulary import OPEN_STATES
from services.finance_match.persistence.tables import Bank, EnterpriseView, Need, Pairing
from services.finance_match.usecases import stats
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.xlsx import XLSX_MEDIA_TYPE, SafeWorkbook

router = APIRouter(prefix="/api/v1/finance", tags=["statistics"])
STATS_READERS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR, Role.PLATFORM}
FUNNEL_ZH = {
    "posted": "发布",
    "matched": "匹配",
    "accepted": "受理",
    "approved": "审批",
    "disbursed": "放款",
    "declined": "拒绝",
    "withdrawn": "撤回",
    "expired": "过期",
}


def _scope(principal: Principal) -> str | None:
    if principal.role not in STATS_READERS:
        raise forbidden(f"role {principal.role} may not read statistics", f"角色 {principal.role} 无权查看统计")
    return principal.tenant if principal.role is Role.PREFECTURE_OPERATOR else None


@router.get("/stats", summary="Funnel, amounts, overdue; by prefecture, bank, tier, month / 融资对接统计")
async def get_stats(principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    scope = _scope(principal)
    async with runtime.uow() as uow:
        return await stats.compute(uow, scope)


@router.get("/league", summary="Bank response league table / 银行响应排行")
async def league(principal: PrincipalDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    if principal.role is Role.BANK:  # a bank sees its own line only
        async with runtime.uow() as uow:
            return [r for r in (await stats.compute(uow))["by_bank"] if r["bank_id"] == principal.tenant]
    scope = _scope(principal)
    async with runtime.uow() as uow:
        return list((await stats.compute(uow, scope))["by_bank"])


@router.get("/stats/export.xlsx", summary="Statistics as XLSX / 导出统计（Excel）")
async def export(principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    scope = _scope(principal)
    async with runtime.uow() as uow:
        data = await stats.compute(uow, scope)
    book = SafeWorkbook()
    stages = list(stats.FUNNEL)
    funnel_header = [f"{FUNNEL_ZH[s]} {s}" for s in stages]
    for title, key, label in (
        ("按州市", "by_prefecture", "州市代码"),
        ("按梯度", "by_tier", "梯度"),
        ("按月份", "by_month", "月份"),
    ):
        sheet = book.sheet(title, [label, *funnel_header])
        field = {"by_prefecture": "prefecture_code", "by_tier": "tier", "by_month": "month"}[key]
        for row in data[key]:
            sheet.append([row[field], *(row[s] for s in stages)])
    banks = book.sheet(
        "银行响应",
        [
            "排名",
            "银行编号",
            "银行名称",
            "推送数",
            "已答复",
            "受理数",
            "响应工作日中位数",
            "按时率",
            "承诺工作日",
            "逾期数",
        ],
    )
    for row in data["by_bank"]:
        banks.append(
            [
                row["rank"],
                row["bank_id"],
                row["name"],
                row["shared"],
                row["responded"],
                row["accepted"],
                row["median_response_working_days"],
                row["on_time_rate"],
                row["committed_working_days"],
                row["overdue"],
            ]
        )
    totals = book.sheet("汇总", ["指标", "数值"])
    for stage in stages:
        totals.append([f"{FUNNEL_ZH[stage]}笔数", data["funnel"][stage]])
    for key, zh in (("requested", "申请金额（元）"), ("approved", "审批金额（元）"), ("disbursed", "放款金额（元）")):
        totals.append([zh, Decimal(data["amounts"][key])])
    totals.append(["逾期未响应", data["overdue"]])
    return Response(
        book.to_bytes(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="finance-stats.xlsx"'},
    )


@router.get("/enterprises/{uscc}/summary", summary="An enterprise's financing summary / 企业融资概况")
async def summary(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        view = await uow.session.get(EnterpriseView, uscc)
        hidden = Problem(404, "not-found", "Enterprise not found", "未找到该企业")
        allowed = (
            principal.is_province_wide
            or principal.role is Role.PLATFORM
            or (
                principal.role is Role.PREFECTURE_OPERATOR
                and view is not None
                and view.prefecture_code == principal.tenant
            )
            or (principal.role is Role.ENTERPRISE and principal.tenant == uscc)
        )
        if not allowed or view is None:
            raise hidden
        pairing = await uow.session.get(Pairing, uscc)
        paired = None
        if pairing is not None:
            bank = await uow.session.get(Bank, pairing.bank_id)
            paired = {"bank_id": pairing.bank_id, "name": bank.name if bank else pairing.bank_id}
        rows = list(
            (await uow.session.execute(select(Need).where(Need.uscc == uscc).order_by(Need.posted_at))).scalars()  # type: ignore[arg-type]
        )
    disbursed = sum((n.disbursed_amount or 0 for n in rows), start=0)
    return {
        "uscc": uscc,
        "paired_bank": paired,
        "open_needs": sum(1 for n in rows if n.state in OPEN_STATES),
        "needs": [
            {"need_id": n.id, "state": n.state, "amount": f"{n.amount:.2f}", "posted_at": n.posted_at.isoformat()}
            for n in rows
        ],
        "disbursed_total": f"{disbursed:.2f}",
    }
