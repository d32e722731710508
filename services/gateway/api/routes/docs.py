"""One merged OpenAPI document for the whole platform; Swagger UI on ``/docs`` and ReDoc on
``/redoc`` from assets served by the gateway itself (they work with no internet); the AsyncAPI
event catalogue on ``/asyncapi.yaml``, linked from the OpenAPI document.

Each service publishes its own document at ``/api/v1/<prefix>/openapi.json``; the gateway fetches
them, merges paths, and renames a component schema only when two services define the same name
differently. A service that does not answer is left out (and named in ``x-srdi-unavailable``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from services.gateway.assets import REDOC, STATIC_DIR
from services.gateway.upstreams import Upstreams
from shared.config import REPO_ROOT
from shared.problems import Problem

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
ASYNCAPI = REPO_ROOT / "docs" / "asyncapi.yaml"
PUBLIC_OPERATIONS = {("post", "/api/v1/eligibility/evaluate"), ("post", "/api/v1/gateway/login"),
                     ("post", "/api/v1/gateway/oauth/token")}  # fmt: skip
SCOPED_SERVICES = ("registry", "eligibility", "finance", "notifications", "integration")
SCOPES = {f"{service}:{access}": f"{access} {service}" for service in SCOPED_SERVICES for access in ("read", "write")}
DESCRIPTION = """All services behind one gateway / 全部服务统一入口.

**Authentication / 认证** — `Authorization: Bearer <credential>`, one of:
- an **API key** (`srdi_…`, banks and platforms; issued by administrators, shown once);
- an **OAuth2 client-credentials token**: `POST /api/v1/gateway/oauth/token` with
  `grant_type=client_credentials`, `client_id` = the key's prefix, `client_secret` = the key;
- a **user token** from `POST /api/v1/gateway/login` (operators, officers, enterprise users, bank staff).

Errors are RFC 9457 problem+json in Chinese and English. Limits answer 429 with `Retry-After`;
an upstream that keeps failing answers 503 with `Retry-After`; bodies over the limit 413.

**Events / 事件** — the AsyncAPI catalogue of domain events: [/asyncapi.yaml](/asyncapi.yaml).
"""

SECURITY_SCHEMES = {
    "ApiKey": {"type": "http", "scheme": "bearer", "description": "API key, or a token from log-in"},
    "OAuth2": {
        "type": "oauth2",
        "description": "client credentials for platforms / 平台对接",
        "flows": {"clientCredentials": {"tokenUrl": "/api/v1/gateway/oauth/token", "scopes": SCOPES}},
    },
}


def merge_openapi(own: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {"title": "SRDI platform API / 专精特新企业服务平台接口", "version": "1.0.0",
                 "description": DESCRIPTION},
        "externalDocs": {"description": "AsyncAPI event catalogue / 事件目录", "url": "/asyncapi.yaml"},
        "x-asyncapi": "/asyncapi.yaml",
        "paths": dict(own.get("paths", {})),
        "components": {
            "schemas": dict(own.get("components", {}).get("schemas", {})),
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{"ApiKey": []}, {"OAuth2": []}],
    }
    schemas = merged["components"]["schemas"]
    for prefix, document in documents.items():
        document = _rename_clashes(prefix, document, schemas)
        schemas.update(document.get("components", {}).get("schemas", {}))
        merged["paths"].update(document.get("paths", {}))
    for path, operations in merged["paths"].items():
        for method, operation in operations.items():
            if (method, path) in PUBLIC_OPERATIONS and isinstance(operation, dict):
                operation["security"] = []  # no credential needed
    return merged


def _rename_clashes(prefix: str, document: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(document)
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name in existing and existing[name] != schema:
            new_name = f"{prefix}__{name}"
            text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{new_name}"')
            text = text.replace(f'"{name}": {{', f'"{new_name}": {{', 1)
    return json.loads(text)  # type: ignore[no-any-return]


async def fetch_documents(upstreams: Upstreams) -> tuple[dict[str, dict[str, Any]], list[str]]:
    documents, unavailable = {}, []
    for prefix, client in upstreams.items():
        try:
            response = await upstreams.send(prefix, client.build_request("GET", f"/api/v1/{prefix}/openapi.json"))
            response.raise_for_status()
            documents[prefix] = response.json()
        except (Problem, Exception) as error:  # one service down must not hide the others' docs
            log.warning("openapi of %s unavailable: %s", prefix, error)
            unavailable.append(prefix)
    return documents, unavailable


@router.get("/openapi.json")
async def merged_openapi(request: Request) -> dict[str, Any]:
    own = request.app.openapi()
    documents, unavailable = await fetch_documents(request.app.state.upstreams)
    merged = merge_openapi(own, documents)
    if unavailable:
        merged["x-srdi-unavailable"] = unavailable
    return merged


@router.get("/docs")
async def swagger_ui() -> FileResponse:
    return FileResponse(STATIC_DIR / "docs.html", media_type="text/html")


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "redoc.html").read_text().replace("__REDOC__", REDOC))


@router.get("/asyncapi.yaml")
async def asyncapi() -> FileResponse:
    return FileResponse(ASYNCAPI, media_type="application/yaml")
