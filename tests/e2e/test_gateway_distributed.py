"""The gateway in the distributed topology (its own process, PostgreSQL, Kafka, Redis): it consumes
eligibility's tier changes over Kafka into its feed, issues client-credentials tokens, carries the
request id to the service processes, and keeps its rate-limit state in Redis."""

from __future__ import annotations

import base64

import httpx
import redis

from tests.e2e.conftest import Topology
from tests.e2e.test_platform import poll
from tests.support.builders import HONGHE_GEJIU, enterprise, financials


def test_a_platform_follows_tier_changes_over_kafka_with_a_client_credentials_token(topology: Topology) -> None:
    body = enterprise(778_001, county=HONGHE_GEJIU)
    uscc = body["uscc"]
    with topology.client(topology.admin_key) as admin:
        assert admin.post("/api/v1/registry/enterprises", json=body).status_code == 201
        for year, revenue in ((2023, 75_000_000), (2024, 86_000_000)):
            url = f"/api/v1/registry/enterprises/{uscc}/financials/{year}"
            assert admin.put(url, json=financials(revenue)).status_code == 201
        client = admin.post("/api/v1/gateway/api-keys", json={"role": "platform", "tenant": "yn-gov", "name": "gov",
                                                               "scopes": ["integration:read"]}).json()  # fmt: skip
    basic = base64.b64encode(f"{client['prefix']}:{client['key']}".encode()).decode()
    token = httpx.post(f"{topology.gateway_url}/api/v1/gateway/oauth/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": f"Basic {basic}"}, timeout=30).json()["access_token"]  # fmt: skip
    with topology.client(token) as platform:
        feed = poll(lambda: platform.get("/api/v1/integration/tier-changes", params={"limit": 1000}).json(),
                    lambda page: any(i["uscc"] == uscc for i in page["items"]), what="the tier change in the feed")
        change = next(i for i in feed["items"] if i["uscc"] == uscc)
        assert change["prefecture_code"] == "5325" and change["eligible"] in (True, False)
        profile = platform.get(f"/api/v1/integration/enterprises/{uscc}")
        assert profile.status_code == 200, profile.text
        assert profile.json()["registry"]["uscc"] == uscc and profile.json()["eligibility"]["tiers"]
        # the token's scope is integration only
        assert platform.get("/api/v1/registry/enterprises").status_code == 403


def test_request_ids_reach_the_service_processes_and_limits_live_in_redis(topology: Topology) -> None:
    with topology.client(topology.admin_key) as admin:
        missing = admin.get("/api/v1/registry/enterprises/915301020000000000", headers={"X-Request-ID": "e2e-rid-1"})
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] == "e2e-rid-1"
    assert missing.json()["request_id"] == "e2e-rid-1"  # written by the registry process
    store = redis.Redis.from_url(topology.env["SRDI_GATEWAY_REDIS_URL"])
    namespace = topology.env["SRDI_GATEWAY_RATE_LIMIT_NAMESPACE"]
    assert any(store.scan_iter(match=f"{namespace}*", count=1000)), "the gateway's windows are in Redis"
