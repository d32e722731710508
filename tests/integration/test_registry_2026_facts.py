"""The 2026 readings' facts entered in the register reach the assessment (embedded platform, through
the gateway): supplied, a condition is decided; left out, it stays "cannot decide" — never a silent pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.identity import Role
from tests.support.builders import enterprise, financials
from tests.support.platform import RunningPlatform, running_platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENTERPRISES = "/api/v1/registry/enterprises"
FACTS_2026: dict[str, Any] = {
    "market_position_attested": True,
    "renown_attested": True,
    "group_little_giant_similar": False,
    "ip": {"class1": 6, "class1_self_developed": 5, "class1_applied_main_product": 5,
           "class1_main_product_own": 5, "class1_main_product_own_top3": 4},
    "field_flags": {"industry_category": "emerging", "key_chain_link": True},
    "champion": {"revenue_leading": True, "profit_leading": False},
    "awards": [{"level": "national", "year": 2024, "rank": 2, "kind": "sci_tech_progress",
                "certificate_date": "2024-12-20"}],
}  # fmt: skip


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, eligibility_assessment_year=2026) as running:
        yield running


async def conditions_after_filing(platform: RunningPlatform, body: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Register ``body``, file three years of accounts, return tier → condition code → status once assessed."""
    admin = await platform.client(Role.ADMIN)
    created = await admin.post(ENTERPRISES, json=body)
    assert created.status_code == 201, created.text
    for year in (2023, 2024, 2025):
        filed = await admin.put(f"{ENTERPRISES}/{body['uscc']}/financials/{year}", json=financials())
        assert filed.status_code == 201, filed.text

    async def history() -> list[Any]:
        response = await admin.get(f"/api/v1/eligibility/enterprises/{body['uscc']}/assessments")
        return list(response.json()) if response.status_code == 200 else []

    # One assessment per event: the registration and the three reports.
    assessments = await eventually(history, lambda found: len(found) >= 4, what="four assessments")
    latest = max(assessments, key=lambda a: a["assessed_at"])
    return {r["tier"]: {c["code"]: c["status"] for c in r["conditions"]} for r in latest["results"]}


async def test_supplied_2026_facts_are_read_and_decide_their_conditions(platform: RunningPlatform) -> None:
    body = enterprise(2026, **FACTS_2026)
    admin = await platform.client(Role.ADMIN)
    conditions = await conditions_after_filing(platform, body)
    shown = (await admin.get(f"{ENTERPRISES}/{body['uscc']}")).json()
    assert shown["renown_attested"] is True and shown["group_little_giant_similar"] is False
    assert shown["ip"]["class1_main_product_own_top3"] == 4
    assert shown["awards"][0]["kind"] == "sci_tech_progress"
    srdi, giant, champion = conditions["srdi_sme"], conditions["little_giant"], conditions["single_champion"]
    assert srdi["srdi26.market_position"] == "met"
    assert srdi["gate.data_falsification_3y"] == "met"  # no data-falsification record in the register
    assert giant["lg26.no_similar_little_giant"] == "met"
    assert giant["lg26.key_field"] == "met"
    assert giant["lg26.class1_ip"] == "met"
    assert champion["champion.revenue_or_profit_leading"] == "met"


async def test_left_out_they_stay_undetermined_and_a_record_blocks(platform: RunningPlatform) -> None:
    falsified = [{"kind": "data_falsification", "since": "2025-03-01"}]
    conditions = await conditions_after_filing(platform, enterprise(2027, compliance=falsified))
    srdi, giant = conditions["srdi_sme"], conditions["little_giant"]
    assert srdi["srdi26.market_position"] == "undetermined"
    assert giant["lg26.no_similar_little_giant"] == "undetermined"
    assert srdi["gate.data_falsification_3y"] == "not_met"


async def test_inconsistent_2026_facts_are_refused_naming_the_field(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    nested = enterprise(2028, ip={"class1_applied_main_product": 3, "class1_main_product_own": 4})
    award = enterprise(2029, awards=[{"level": "national", "year": 2024, "certificate_date": "2023-12-31"}])
    for body, field in ((nested, "ip"), (award, "awards[0]")):
        response = await admin.post(ENTERPRISES, json=body)
        assert response.status_code == 422, response.text
        fields = [error["field"] for error in response.json()["errors"]]
        assert any(f.startswith(field) for f in fields), fields
        assert (await admin.get(f"{ENTERPRISES}/{body['uscc']}")).status_code == 404
