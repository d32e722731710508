"""Whatever escapes a route becomes a problem+json 500 with the request id — and nothing else."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.service import add_service_defaults


async def _ready() -> dict[str, bool]:
    return {"database": True}


def test_an_unexpected_exception_is_a_problem_500_with_the_request_id_and_no_internals() -> None:
    app = FastAPI()
    add_service_defaults(app, "probe", _ready)

    @app.get("/api/v1/probe/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 42")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/probe/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["request_id"] == "req-123" == response.headers["x-request-id"]
    assert body["title_zh"] == "服务器内部错误" and body["code"] == "internal-error"
    assert "hunter2" not in response.text and "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
