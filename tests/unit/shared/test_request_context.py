"""The request-context middleware (plain ASGI): the caller's request id echoed (or one made up),
bound for the logs while the route runs, and every answer counted under its route's template."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared.logs import request_id_var
from shared.service import RequestContextMiddleware


def _count(service: str, path: str, status: str) -> float:
    labels = {"service": service, "method": "GET", "route": path, "status": status}
    value = REGISTRY.get_sample_value("srdi_http_requests_total", labels)
    return value or 0.0


@pytest.mark.asyncio
async def test_request_ids_are_echoed_bound_and_answers_counted_per_route() -> None:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, service="ctx-test")

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str | None]:
        return {"item": item_id, "request_id": request_id_var.get()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    before = _count("ctx-test", "/items/{item_id}", "200")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        given = await client.get("/items/7", headers={"X-Request-ID": "req-from-caller"})
        made = await client.get("/items/8")
        failed = await client.get("/boom")
    assert given.headers["x-request-id"] == "req-from-caller" == given.json()["request_id"]
    assert len(made.headers["x-request-id"]) == 16 and made.json()["request_id"] == made.headers["x-request-id"]
    assert _count("ctx-test", "/items/{item_id}", "200") == before + 2
    assert failed.status_code == 500 and _count("ctx-test", "/boom", "500") == 1
