"""The merged OpenAPI (security schemes, examples, AsyncAPI link, public operations) and docs
pages whose every asset is served by the gateway itself (the browser test renders them offline)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.config import REPO_ROOT
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as running:
        yield running


async def test_one_merged_openapi_with_security_schemes_examples_and_the_event_catalogue(
    platform: RunningPlatform,
) -> None:
    document = (await platform.gateway.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/v1/registry/enterprises", "/api/v1/eligibility/evaluate", "/api/v1/gateway/oauth/token",
                 "/api/v1/gateway/login", "/api/v1/gateway/api-keys/{prefix}/rotate"):  # fmt: skip
        assert path in paths, path
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"]["scheme"] == "bearer"
    assert schemes["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/gateway/oauth/token"
    assert paths["/api/v1/eligibility/evaluate"]["post"]["security"] == []
    assert paths["/api/v1/gateway/oauth/token"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert document["externalDocs"]["url"] == "/asyncapi.yaml"
    assert document["components"]["schemas"]["ApiKeyCreate"]["examples"][0]["role"] == "platform"
    asyncapi = await platform.gateway.get("/asyncapi.yaml")
    assert asyncapi.status_code == 200
    assert asyncapi.text == (REPO_ROOT / "docs" / "asyncapi.yaml").read_text()
    assert "srdi.eligibility.tier_changed.v1" in asyncapi.text


async def test_docs_pages_reference_only_assets_the_gateway_serves(platform: RunningPlatform) -> None:
    for page in ("/docs", "/redoc"):
        html = (await platform.gateway.get(page)).text
        references = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert references
        for reference in references:
            assert reference.startswith("/"), f"{page} loads {reference} from outside"
            answer = await platform.gateway.get(reference)
            assert answer.status_code == 200, (page, reference)

