"""The gateway in a real headless browser (Debian's chromium, over the DevTools protocol) against
a running embedded platform (``srdi run``): /docs renders with the network cut off, and the
operators' dashboard shows the platform's own numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import free_port
from tests.support.browser import Page, browser_page
from tests.support.builders import HONGHE_GEJIU, KUNMING_WUHUA, enterprise, financials
from tests.support.finance import bank_body, need_body, product_body

pytestmark = pytest.mark.asyncio(loop_scope="session")
SRDI = str(Path(sys.executable).with_name("srdi"))


@dataclass
class LivePlatform:
    url: str
    admin_key: str

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.admin_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePlatform]:
    base = tmp_path_factory.mktemp("live")
    env = os.environ | {
        "SRDI_MODE": "embedded",
        "SRDI_DATABASE_URL": f"sqlite+aiosqlite:///{base / 'srdi.db'}",
        "SRDI_DEMO_KEYS": "false",
        "SRDI_REGISTRY_DEMO_COUNT": "0",
        "SRDI_LOG_LEVEL": "WARNING",
    }
    admin_key = subprocess.run([SRDI, "create-api-key", "--role", "admin", "--name", "browser admin"], env=env,
                               check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    log = (base / "platform.log").open("wb")
    process = subprocess.Popen([SRDI, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"srdi run exited: {(base / 'platform.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("srdi run not ready")
            time.sleep(0.2)
        yield LivePlatform(url, admin_key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def local(url: str, origin: str) -> bool:
    return url.startswith(origin) or urlparse(url).scheme in ("data", "blob", "about", "chrome")


async def test_docs_render_with_the_network_cut_off(live: LivePlatform) -> None:
    async with browser_page(offline=True) as page:
        await page.goto(f"{live.url}/docs")
        operations = await page.wait_for(
            "document.querySelectorAll('.opblock').length", timeout=60, what="Swagger UI operations"
        )
        assert operations > 20  # every service's routes, merged
        tags = await page.evaluate("[...document.querySelectorAll('.opblock-tag')].map(e => e.textContent).join('|')")
        for tag in ("enterprises", "assessments", "auth"):
            assert tag in tags
        assert await page.evaluate("!!document.querySelector('.btn.authorize')")  # the security schemes
        outside = [url for url in page.requests if not local(url, live.url)]
        assert page.requests and not outside, outside
        # and the browser really is offline: an outside address cannot be reached
        reached = await page.evaluate("fetch('http://example.com/').then(() => true, () => false)")
        assert reached is False
        page.requests.clear()
        await page.goto(f"{live.url}/redoc")
        await page.wait_for("document.querySelectorAll('[data-section-id]').length > 10", timeout=60, what="ReDoc")
        outside = [url for url in page.requests if not local(url, live.url)]
        assert page.requests and not outside, outside


TIERS = ["innovative_sme", "srdi_sme", "little_giant", "single_champion"]
PASSWORD = "dashboard-passphrase"


def poll(fetch: Any, until: Any, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {value}")
        time.sleep(0.1)


def populate(live: LivePlatform) -> None:
    """Five enterprises in two prefectures, assessed; one recognised; operators who log in; a seed bank."""
    with live.client() as admin:
        operators = (("prov-op", "provincial_operator", "53"), ("km-op", "prefecture_operator", "5301"))
        for username, role, tenant in operators:
            created = admin.post("/api/v1/gateway/users", json={"username": username, "password": PASSWORD,
                                                                "role": role, "tenant": tenant, "name": username})
            assert created.status_code == 201, created.text
        codes = []
        for serial, county in ((1, HONGHE_GEJIU), (2, HONGHE_GEJIU), (3, HONGHE_GEJIU), (4, KUNMING_WUHUA),
                               (5, KUNMING_WUHUA)):  # fmt: skip
            body = enterprise(880_000 + serial, county=county)
            assert admin.post("/api/v1/registry/enterprises", json=body).status_code == 201
            for year, revenue in ((2023, 75_000_000), (2024, 86_000_000)):
                url = f"/api/v1/registry/enterprises/{body['uscc']}/financials/{year}"
                put = admin.put(url, json=financials(revenue))
                assert put.status_code == 201
            codes.append(body["uscc"])
        granted = admin.post(f"/api/v1/registry/enterprises/{codes[0]}/recognitions",
                             json={"tier": "innovative_sme", "level": "provincial", "valid_from": "2025-06-01"})
        assert granted.status_code == 201, granted.text
        for uscc in codes:
            poll(lambda u=uscc: admin.get(f"/api/v1/eligibility/enterprises/{u}/assessment"),
                 lambda r: r.status_code == 200 and r.json()["trigger"].endswith((".reported.v1", ".granted.v1")),
                 what=f"assessment of {uscc}")  # fmt: skip

        def recognised() -> int:
            tiers = admin.get("/api/v1/eligibility/pyramid").json()["tiers"]
            return sum(t["recognised"] for t in tiers)

        poll(recognised, lambda n: n == 1, what="the recognition in the pyramid")
        # financing: a Kunming bank with a product, an SRDI enterprise that posts a need
        assert admin.post("/api/v1/finance/banks", json=bank_body("bank-km", ["5301"])).status_code == 201
        bank_key = admin.post("/api/v1/gateway/api-keys", json={"role": "bank", "tenant": "bank-km", "name": "km"})
        with live.client(bank_key.json()["key"]) as bank_client:
            assert bank_client.post("/api/v1/finance/banks/bank-km/products", json=product_body()).status_code == 201
        srdi = enterprise(880_009, county=KUNMING_WUHUA)
        assert admin.post("/api/v1/registry/enterprises", json=srdi).status_code == 201
        granted = admin.post(f"/api/v1/registry/enterprises/{srdi['uscc']}/recognitions",
                             json={"tier": "srdi_sme", "level": "provincial", "valid_from": "2025-06-01"})  # fmt: skip
        assert granted.status_code == 201
        poll(lambda: admin.get(f"/api/v1/finance/pairings/{srdi['uscc']}"),
             lambda r: r.status_code == 200 and r.json()["bank_id"] is not None, what="the pairing")  # fmt: skip
        key_request = {"role": "enterprise", "tenant": srdi["uscc"], "name": "e"}
        own_key = admin.post("/api/v1/gateway/api-keys", json=key_request)
        with live.client(own_key.json()["key"]) as own:
            posted = own.post("/api/v1/finance/needs", json=need_body())
            assert posted.status_code == 201, posted.text
    with live.client(login(live, "prov-op")) as province:
        bank = province.post("/api/v1/eligibility/seed-banks", json={"year": 2026, "tier": "innovative_sme"})
        assert bank.status_code == 201, bank.text


def login(live: LivePlatform, username: str) -> str:
    answer = httpx.post(f"{live.url}/api/v1/gateway/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def log_in_in_the_page(page: Page, live: LivePlatform, username: str) -> None:
    await page.goto(f"{live.url}/dashboard")
    await page.wait_for("!!document.getElementById('login') && !document.getElementById('login-panel').hidden")
    await page.evaluate(f"""(() => {{
        document.getElementById('username').value = {username!r};
        document.getElementById('password').value = {PASSWORD!r};
        document.getElementById('login').requestSubmit();
    }})()""")
    await page.wait_for("document.body.dataset.ready === 'true'", what="the dashboard to render")
    visible = "(id) => getComputedStyle(document.getElementById(id)).display !== 'none'"
    assert await page.evaluate(f"({visible})('board') && !({visible})('login-panel')"), "the board replaces the form"


async def series(page: Page, chart: str) -> dict[str, list[Any]]:
    return dict(await page.evaluate(f"""(() => {{
        const chart = echarts.getInstanceByDom(document.getElementById('{chart}'));
        return chart ? Object.fromEntries(chart.getOption().series.map(s => [s.name,
            s.data.map(d => (d !== null && typeof d === 'object') ? d.value : d)])) : null;
    }})()""") or {})


async def axis(page: Page, chart: str) -> list[str]:
    return list(await page.evaluate(
        f"echarts.getInstanceByDom(document.getElementById('{chart}')).getOption().xAxis[0].data"
    ))


async def drawn_eventually(page: Page, chart: str, platform_numbers: Any, timeout: float = 30.0) -> None:
    """Events still arriving (officer assignments, matching) move the numbers: the chart must show
    the platform's current numbers — reload the page until it does, within a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        drawn = await series(page, chart)
        expected = platform_numbers()
        if drawn and drawn[next(iter(drawn))] == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{chart} shows {drawn}, the platform says {expected}")
        await page.evaluate("document.body.dataset.ready = ''; location.reload()")
        await page.wait_for("!!document.body && document.body.dataset.ready === 'true'", what="the reloaded dashboard")


async def no_data(page: Page, element: str) -> str:
    return str(await page.evaluate(f"document.getElementById('{element}').textContent.trim()"))


async def test_the_dashboard_shows_the_platforms_own_numbers_scoped_to_the_operator(live: LivePlatform) -> None:
    populate(live)
    province_token = login(live, "prov-op")
    with live.client(province_token) as api:
        pyramid = {t["tier"]: t for t in api.get("/api/v1/eligibility/pyramid").json()["tiers"]}
        banks = api.get("/api/v1/eligibility/seed-banks").json()
        finance = api.get("/api/v1/finance/stats")
        coverage = api.get("/api/v1/notifications/coverage")
    assert pyramid["innovative_sme"]["eligible"] >= 1 and pyramid["innovative_sme"]["recognised"] == 1
    async with browser_page(offline=True) as page:
        await log_in_in_the_page(page, live, "prov-op")
        drawn = await series(page, "chart-pyramid")
        assert drawn["已认定"] == [pyramid.get(k, {}).get("recognised", 0) for k in TIERS]
        assert drawn["符合条件"] == [pyramid.get(k, {}).get("eligible", 0) for k in TIERS]
        assert drawn["2025年目标"] == [2800, 900, 120, 12]
        assert drawn["2027年目标"] == [6000, 3000, 170, None]
        recognised_now = [pyramid.get(k, {}).get("recognised", 0) for k in TIERS]
        assert drawn["年度增量目标"] == [recognised_now[0] + 1000, recognised_now[1] + 500, None, None]
        zh_tiers = ["创新型中小企业", "专精特新中小企业", "专精特新“小巨人”", "制造业单项冠军"]
        assert await axis(page, "chart-pyramid") == zh_tiers

        codes = sorted({c for entry in pyramid.values() for c in entry["by_prefecture"]})
        assert codes == ["5301", "5325"]
        assert await axis(page, "chart-prefectures") == ["昆明市", "红河州"]
        by_prefecture = await series(page, "chart-prefectures")
        for tier, entry in ((k, pyramid[k]) for k in TIERS if k in pyramid):  # the four tiers of the plans
            label = {"innovative_sme": "创新型中小企业", "srdi_sme": "专精特新中小企业",
                     "little_giant": "专精特新“小巨人”", "single_champion": "制造业单项冠军"}[tier]  # fmt: skip
            assert by_prefecture[label] == [entry["by_prefecture"].get(c, {}).get("eligible", 0) for c in codes]

        seed = await series(page, "chart-seedbanks")
        assert seed["入库数量"] == [b["size"] for b in banks]
        assert seed["应入库数量"] == [b["required_size"] for b in banks]
        seed_axis = await axis(page, "chart-seedbanks")
        assert "2×" in seed_axis[0] and "2026-01-31" in seed_axis[0]

        stages = ("posted", "matched", "accepted", "approved", "disbursed")

        def funnel_now() -> list[Any]:
            with live.client(province_token) as api:
                return [api.get("/api/v1/finance/stats").json()["funnel"][s] for s in stages]

        def coverage_now() -> list[Any]:
            with live.client(province_token) as api:
                rows = api.get("/api/v1/notifications/coverage").json()["prefectures"]
            return [round(float(p["coverage"]) * 100, 1) for p in rows]

        if finance.status_code == 200:
            assert finance.json()["funnel"]["posted"] >= 1
            await drawn_eventually(page, "chart-funnel", funnel_now)
            assert str(finance.json()["overdue"]) in await no_data(page, "overdue")
        else:  # the finance service does not answer this yet: the panel says so, the page still works
            assert await no_data(page, "chart-funnel") == "暂无数据 / no data"
            assert await no_data(page, "overdue") == "暂无数据 / no data"
        if coverage.status_code == 200:
            await drawn_eventually(page, "chart-coverage", coverage_now)
        else:
            assert await no_data(page, "chart-coverage") == "暂无数据 / no data"

        # English on a click; the numbers stay
        await page.evaluate("document.getElementById('lang').click()")
        await page.wait_for("document.querySelector('h1').textContent.startsWith('SRDI')")
        english = await series(page, "chart-pyramid")
        assert english["Eligible"] == drawn["符合条件"]
        assert (await axis(page, "chart-pyramid"))[0] == "Innovative SME"
        await page.evaluate("document.getElementById('lang').click()")  # back to Chinese for the next log-in

        # a prefecture operator sees only their prefecture, and no provincial targets
        await page.evaluate("document.getElementById('logout').click()")
        await log_in_in_the_page(page, live, "km-op")
        with live.client(login(live, "km-op")) as kunming_api:
            kunming = {t["tier"]: t for t in kunming_api.get("/api/v1/eligibility/pyramid").json()["tiers"]}
        own = await series(page, "chart-pyramid")
        assert own["符合条件"] == [kunming.get(k, {}).get("eligible", 0) for k in TIERS]
        assert own["符合条件"] != drawn["符合条件"]  # Honghe's enterprises are not counted
        assert "2025年目标" not in own
        assert await axis(page, "chart-prefectures") == ["昆明市"]
        assert await no_data(page, "chart-seedbanks") == "暂无数据 / no data"  # the province's bank is not theirs
        assert "昆明市" in await no_data(page, "scope")
        outside = [url for url in page.requests if not local(url, live.url)]
        assert not outside, outside
        assert not page.console_errors, page.console_errors
