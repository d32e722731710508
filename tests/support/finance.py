"""Helpers for finance_match tests: banks with products, SRDI enterprises registered through the
registry (so that finance_match learns of them over the bus), and needs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.support.builders import enterprise
from tests.support.waiting import eventually

FINANCE = "/api/v1/finance"


def bank_body(bank_id: str, prefectures: list[str], capacity: int = 100, days: int = 3) -> dict[str, Any]:
    return {
        "id": bank_id,
        "name": f"测试银行 {bank_id}",
        "response_working_days": days,
        "pairing_capacity": capacity,
        "branches": [{"prefecture_code": p, "name": f"{bank_id} {p} 分行"} for p in prefectures],
    }


def product_body(name: str = "专精特新贷", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "product_type": "srdi_loan",
        "amount_min": "100000.00",
        "amount_max": "10000000.00",
        "term_min_months": 6,
        "term_max_months": 36,
        "spread_min": "0.10",
        "spread_max": "1.00",
        "tiers": [],
        "internal_notes": "内部审批口径",
        "monthly_quota": "50000000.00",
    }
    return body | overrides


def need_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": "2000000.00",
        "term_months": 24,
        "purpose": "采购原材料",
        "collateral_offered": [],
        "max_rate": "4.50",
        "needed_by": (date.today() + timedelta(days=60)).isoformat(),
        "consent": "matched_banks",
        "contact_name": "王会计",
        "contact_phone": "0871-65000000",
    }
    return body | overrides


async def register_srdi(admin: httpx.AsyncClient, serial: int, county: str, tier: str = "srdi_sme") -> str:
    body = enterprise(serial, county=county)
    response = await admin.post("/api/v1/registry/enterprises", json=body)
    assert response.status_code == 201, response.text
    if tier:
        recognition = {
            "tier": tier,
            "level": "provincial",
            "valid_from": (date.today() - timedelta(days=30)).isoformat(),
        }
        response = await admin.post(f"/api/v1/registry/enterprises/{body['uscc']}/recognitions", json=recognition)
        assert response.status_code == 201, response.text
    return str(body["uscc"])


async def wait_paired(admin: httpx.AsyncClient, uscc: str) -> str:
    async def pairing() -> httpx.Response:
        return await admin.get(f"{FINANCE}/pairings/{uscc}")

    response = await eventually(pairing, lambda r: r.status_code == 200 and r.json()["bank_id"] is not None,
                                what=f"{uscc} paired")  # fmt: skip
    return str(response.json()["bank_id"])


async def wait_known(admin: httpx.AsyncClient, uscc: str) -> None:
    async def pairing() -> httpx.Response:
        return await admin.get(f"{FINANCE}/pairings/{uscc}")

    await eventually(pairing, lambda r: r.status_code == 200, what=f"{uscc} known to finance_match")
