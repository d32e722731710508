"""The operators' dashboard: the page (``/dashboard``, ECharts served by the gateway) and its data
(``/api/v1/gateway/dashboard``), gathered from the services with the operator's own identity, so a
prefecture operator sees only their prefecture. A service that does not answer (or lacks the
endpoint yet) leaves its panel null with a reason; the page then says 暂无数据 / no data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.gateway.api.deps import CallerDep, require_scope
from services.gateway.assets import ECHARTS, STATIC_DIR
from services.gateway.calls import fetch_all
from services.gateway.domain.targets import COVERAGE_TARGET, PREFECTURES, SEED_BANK_MULTIPLE, TARGETS, YEARLY_INCREMENT
from shared.identity import Role
from shared.problems import forbidden

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/gateway", tags=["dashboard"])
OPERATORS = frozenset({Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR})


@router.get("/dashboard")
async def dashboard_page() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "dashboard.html").read_text().replace("__ECHARTS__", ECHARTS))


@api.get("/dashboard", summary="Operators' dashboard data / 运营看板数据")
async def dashboard_data(request: Request, caller: CallerDep) -> dict[str, Any]:
    if caller.role not in OPERATORS:
        raise forbidden("operators only", "仅限管理部门")
    require_scope(request, "eligibility:read")
    fetched = await fetch_all(request, caller, {
        "pyramid": ("eligibility", "/api/v1/eligibility/pyramid"),
        "seed_banks": ("eligibility", "/api/v1/eligibility/seed-banks"),
        "finance": ("finance", "/api/v1/finance/stats"),
        "coverage": ("notifications", "/api/v1/notifications/coverage"),
    })  # fmt: skip
    province_wide = caller.role is not Role.PREFECTURE_OPERATOR
    data: dict[str, Any] = {
        "scope": "53" if province_wide else caller.tenant,
        "generated_at": datetime.now(UTC).isoformat(),
        "prefecture_names": PREFECTURES,
        # The plans' targets are provincial: shown against the province's numbers only.
        "targets": {"by_year": TARGETS, "yearly_increment": YEARLY_INCREMENT} if province_wide else None,
        "seed_bank_multiple": SEED_BANK_MULTIPLE,
        "coverage_target": COVERAGE_TARGET,
        "unavailable": {},
    }
    for name, result in fetched.items():
        data[name] = result.body if result.ok else None
        if not result.ok:
            data["unavailable"][name] = result.unavailable()
    if data["seed_banks"] is not None:
        keep = ("id", "kind", "year", "tier", "scope", "size", "required_size", "multiple", "filing_deadline",
                "shortfall", "pool_size", "growth_target", "created_at")  # fmt: skip
        data["seed_banks"] = [{k: bank.get(k) for k in keep} for bank in data["seed_banks"]]
    finance = data["finance"]
    data["overdue"] = {"finance_needs": finance.get("overdue") if isinstance(finance, dict) else None}
    return data
