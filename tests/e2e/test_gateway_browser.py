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
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import free_port
from tests.support.browser import browser_page

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
        "SRDI_REGISTRY_DEMO_COUNT": "400",
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
