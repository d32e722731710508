"""The operators' dashboard page (its data comes from ``/api/v1/gateway/dashboard``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.gateway.assets import ECHARTS, STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def dashboard_page() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "dashboard.html").read_text().replace("__ECHARTS__", ECHARTS))
