"""The integration API (embedded platform): a consolidated profile whose missing parts are null with
a reason (never a 500), a batch of up to 1,000 codes, and a tier-change feed the gateway keeps from
eligibility's events, resumable from any cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from shared.identity import Role
from tests.integration.test_eligibility_api import register_assessed
from tests.support.builders import KUNMING_WUHUA, enterprise
from tests.support.platform import RunningPlatform, running_platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
FEED = "/api/v1/integration/tier-changes"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, gateway_breaker_failures=100) as running:
        yield running


def stand_in(platform: RunningPlatform, prefix: str, status: int, body: dict[str, Any]) -> None:
    app = FastAPI()

    @app.get("/{path:path}")
    async def answer(path: str) -> JSONResponse:
        return JSONResponse(body, status_code=status)

    upstreams = platform.platform.app.state.upstreams
    upstreams._clients[prefix] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{prefix}")
    upstreams.configure(upstreams.policy)


async def test_the_profile_consolidates_and_marks_what_is_missing(platform: RunningPlatform) -> None:
    uscc = await register_assessed(platform, 9101)
    stand_in(platform, "finance", 503, {"title": "down", "title_zh": "不可用"})
    officer = {"officer_id": "o-1", "name": "李四", "organisation": "个旧市工信局", "phone": "1"}
    stand_in(platform, "notifications", 200, {"uscc": uscc, "officer": officer})
    gov = await platform.client(Role.PLATFORM, "yn-gov")
    answer = await gov.get(f"/api/v1/integration/enterprises/{uscc}")
    assert answer.status_code == 200, answer.text
    profile = answer.json()
    assert profile["registry"]["uscc"] == uscc and profile["registry"]["name"].startswith("云南测试")
    tiers = {t["tier"]: t for t in profile["eligibility"]["tiers"]}
    assert {"innovative_sme", "srdi_sme", "little_giant"} <= set(tiers)
    own = (await (await platform.client(Role.ADMIN)).get(f"/api/v1/eligibility/enterprises/{uscc}/assessment")).json()
    assert {r["tier"]: r["eligible"] for r in own["results"]} == {t: v["eligible"] for t, v in tiers.items()}
    assert profile["finance"] is None and profile["unavailable"]["finance"]["status"] == 503
    assert profile["officer"]["officer_id"] == "o-1"
    # not found in the register → 404, not a profile of nulls
    missing = await gov.get(f"/api/v1/integration/enterprises/{enterprise(9199)['uscc']}")
    assert missing.status_code == 404
    # a hanging / missing service (404: the endpoint not there yet) is null with its reason too
    stand_in(platform, "notifications", 404, {"title": "Not Found", "title_zh": "未找到"})
    again = (await gov.get(f"/api/v1/integration/enterprises/{uscc}")).json()
    assert again["officer"] is None
    assert again["unavailable"]["officer"] == {"status": 404, "reason": "Not Found / 未找到"}


async def test_only_platforms_and_provincial_operators_use_the_integration_api(platform: RunningPlatform) -> None:
    uscc = await register_assessed(platform, 9201)
    lesser = ((Role.ENTERPRISE, uscc), (Role.BANK, "b"), (Role.OFFICER, "o"), (Role.PREFECTURE_OPERATOR, "5325"))
    for role, tenant in lesser:
        client = await platform.client(role, tenant)
        assert (await client.get(f"/api/v1/integration/enterprises/{uscc}")).status_code == 403, role
        assert (await client.post("/api/v1/integration/enterprises/batch", json={"codes": [uscc]})).status_code == 403
    province = await platform.client(Role.PROVINCIAL_OPERATOR, "53")
    assert (await province.get(f"/api/v1/integration/enterprises/{uscc}")).status_code == 200


async def test_a_batch_takes_up_to_1000_codes(platform: RunningPlatform) -> None:
    known = await register_assessed(platform, 9301)
    gov = await platform.client(Role.PLATFORM, "yn-gov")
    unknown = enterprise(9302)["uscc"]
    answer = await gov.post("/api/v1/integration/enterprises/batch", json={"codes": [known, unknown, known]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == 2 and body["found"] == 1
    assert [i["found"] for i in body["items"]] == [True, False]
    too_many = await gov.post("/api/v1/integration/enterprises/batch", json={"codes": [known] * 1001})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "codes"


async def test_the_tier_change_feed_is_resumable_from_any_cursor(platform: RunningPlatform) -> None:
    codes = [await register_assessed(platform, serial) for serial in (9401, 9402)]
    codes.append(await register_assessed(platform, 9403, county=KUNMING_WUHUA))
    gov = await platform.client(Role.PLATFORM, "yn-gov")

    async def whole_feed() -> list[dict[str, Any]]:
        return list((await gov.get(FEED, params={"limit": 1000})).json()["items"])

    feed = await eventually(whole_feed, lambda items: {i["uscc"] for i in items} >= set(codes), what="tier changes")
    assert [int(i["cursor"]) for i in feed] == sorted(int(i["cursor"]) for i in feed)  # feed order
    assert len({i["event_id"] for i in feed}) == len(feed)
    # page through two at a time, from the start, and from a cursor in the middle
    paged, cursor = [], None
    while True:
        page = (await gov.get(FEED, params={"limit": 2} | ({"after": cursor} if cursor else {}))).json()
        if not page["items"]:
            assert page["next_cursor"] == cursor  # nothing new: keep the cursor
            break
        paged += page["items"]
        cursor = page["next_cursor"]
    assert paged == feed
    middle = feed[len(feed) // 2]["cursor"]
    resumed = (await gov.get(FEED, params={"after": middle, "limit": 1000})).json()["items"]
    assert resumed == feed[len(feed) // 2 + 1:]
    little = (await gov.get(FEED, params={"tier": "innovative_sme"})).json()["items"]
    assert little and all(i["tier"] == "innovative_sme" for i in little)
    # a prefecture operator gets its prefecture's changes only
    kunming = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    own = (await kunming.get(FEED, params={"limit": 1000})).json()["items"]
    assert own and {i["prefecture_code"] for i in own} == {"5301"}
    assert (await gov.get(FEED, params={"after": "abc"})).status_code == 422
