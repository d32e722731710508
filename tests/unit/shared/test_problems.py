from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.problems import Problem, install_problem_handlers


class Body(BaseModel):
    amount: Decimal
    year: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        if body.year < 2000:
            raise Problem(409, "too-old", "Year too old", "年份过早", detail=f"{body.year} < 2000")
        return {"ok": "yes"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def test_validation_errors_are_problem_json_naming_each_field_in_both_languages() -> None:
    response = TestClient(make_app()).post("/things", json={"amount": "12,3x", "year": "twenty"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation-failed" and body["title_zh"] == "请求数据校验未通过"
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"amount", "year"}
    assert by_field["amount"]["message_zh"].startswith("不是有效的数字")
    assert by_field["year"]["value"] == "twenty"


def test_domain_problems_keep_their_status_and_texts() -> None:
    response = TestClient(make_app()).post("/things", json={"amount": "1", "year": 1999})
    assert response.status_code == 409
    assert response.json() | {"request_id": None} == {
        "type": "urn:srdi:problem:too-old",
        "title": "Year too old",
        "title_zh": "年份过早",
        "status": 409,
        "detail": "1999 < 2000",
        "detail_zh": "年份过早",
        "instance": "/things",
        "code": "too-old",
        "request_id": None,
    }


def test_unexpected_errors_leak_nothing() -> None:
    response = TestClient(make_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["title_zh"] == "服务器内部错误"
