"""Coverage against the 80% target (seed 000: precise service for more than 80% of SRDI enterprises)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from services.notifications import coverage as figures
from services.notifications.access import operator_scope
from services.notifications.api.deps import RuntimeDep
from services.notifications.domain.coverage import quarter_bounds, quarter_label, trailing_quarter
from shared.api import PrincipalDep
from shared.problems import Problem

router = APIRouter(prefix="/api/v1/notifications", tags=["coverage"])


@router.get("/coverage", summary="Service coverage of SRDI enterprises / 专精特新企业服务覆盖率")
async def coverage(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    prefecture: str | None = Query(default=None, pattern=r"^53\d{2}$"),
    quarter: str | None = Query(default=None, pattern=r"^\d{4}Q[1-4]$", description="a calendar quarter, e.g. 2026Q3; "
                                "default: the 92 days ending today"),
) -> dict[str, Any]:  # fmt: skip
    scope = operator_scope(principal, prefecture)
    today = date.today()
    try:
        start, end = quarter_bounds(quarter) if quarter else trailing_quarter(today)
    except ValueError as error:
        raise Problem(422, "bad-quarter", "Malformed quarter", "季度格式错误", detail="quarter: e.g. 2026Q3") from error
    async with runtime.uow() as uow:
        return await figures.coverage(uow, scope, start, end, today, quarter or quarter_label(today))
