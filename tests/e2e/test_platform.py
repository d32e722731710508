"""End to end, distributed: every service its own process (eligibility twice, one consumer group),
relays apart, PostgreSQL and Kafka, every call through the gateway with API keys."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.e2e.conftest import Topology
from tests.support.builders import HONGHE_GEJIU, enterprise, financials


def poll(fetch: Any, until: Any, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {value}")
        time.sleep(0.2)


def test_an_enterprise_registered_through_the_gateway_is_assessed_across_processes(topology: Topology) -> None:
    body = enterprise(777_001, county=HONGHE_GEJIU)
    uscc = body["uscc"]
    with topology.client(topology.admin_key) as admin:
        assert admin.post("/api/v1/registry/enterprises", json=body).status_code == 201
        for year, revenue in ((2023, 75_000_000), (2024, 86_000_000), (2025, 99_000_000)):
            response = admin.put(f"/api/v1/registry/enterprises/{uscc}/financials/{year}", json=financials(revenue))
            assert response.status_code == 201, response.text

    own_key = topology.create_key("enterprise", uscc)
    with topology.client(own_key) as own:
        assessment = poll(
            lambda: own.get(f"/api/v1/eligibility/enterprises/{uscc}/assessment"),
            lambda r: r.status_code == 200 and r.json()["trigger"].endswith("financials.reported.v1")
            and len(r.json()["results"]) == 5,
            what="the enterprise's assessment after its financial reports",
        ).json()  # fmt: skip
        tiers = [result["tier"] for result in assessment["results"]]
        assert tiers == ["innovative_sme", "srdi_sme", "little_giant", "single_champion",
                         "single_champion_provincial"]  # fmt: skip
        history = own.get(f"/api/v1/eligibility/enterprises/{uscc}/assessments").json()
        assert len(history) >= 2

    stranger = topology.create_key("enterprise", enterprise(777_002)["uscc"])
    with topology.client(stranger) as other:
        assert other.get(f"/api/v1/registry/enterprises/{uscc}").status_code == 404
        assert other.get(f"/api/v1/eligibility/enterprises/{uscc}/assessment").status_code == 404
    operator = topology.create_key("prefecture_operator", "5301")
    with topology.client(operator) as kunming:
        assert kunming.get(f"/api/v1/eligibility/enterprises/{uscc}/assessment").status_code == 404


def test_public_self_assessment_needs_no_key_and_bad_input_is_problem_json(topology: Topology) -> None:
    with topology.client() as anonymous:
        assert anonymous.get("/api/v1/registry/enterprises").status_code == 401
        ok = anonymous.post("/api/v1/eligibility/evaluate", json={"assessment_year": 2025, "profile": {}})
        assert ok.status_code == 200 and len(ok.json()["results"]) == 5
        bad = anonymous.post(
            "/api/v1/eligibility/evaluate",
            json={"assessment_year": 2025, "profile": {"financials": [{"year": 2024, "operating_revenue": "8千万"}]}},
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["field"] == "profile.financials[0].operating_revenue"


def test_the_gateway_serves_one_merged_openapi_and_health(topology: Topology) -> None:
    document = httpx.get(f"{topology.gateway_url}/openapi.json", timeout=30).json()
    paths = set(document["paths"])
    assert {"/api/v1/registry/enterprises", "/api/v1/eligibility/evaluate", "/api/v1/gateway/whoami"} <= paths
    checks = httpx.get(f"{topology.gateway_url}/readyz", timeout=10).json()["checks"]
    assert checks == {"database": True, "bus": True, "redis": True}  # distributed: Redis shares the limits
    assert "srdi_http_requests_total" in httpx.get(f"{topology.gateway_url}/metrics", timeout=10).text
    json.dumps(document)  # the merged document is plain JSON
