"""One merged OpenAPI document for the whole platform, and Swagger UI on ``/docs``.

Each service publishes its own document at ``/api/v1/<prefix>/openapi.json``; the gateway fetches
them, merges paths, and renames a component schema only when two services define the same name
differently.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from services.gateway.upstreams import Upstreams

router = APIRouter(include_in_schema=False)


def merge_openapi(own: dict[str, Any], documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {
            "title": "SRDI platform API / 专精特新企业服务平台接口",
            "version": "1.0.0",
            "description": "All services behind one gateway. Authenticate with `Authorization: Bearer <API key>`.",
        },
        "paths": dict(own.get("paths", {})),
        "components": {
            "schemas": dict(own.get("components", {}).get("schemas", {})),
            "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer", "description": "SRDI API key"}},
        },
        "security": [{"ApiKey": []}],
    }
    schemas = merged["components"]["schemas"]
    for prefix, document in documents.items():
        document = _rename_clashes(prefix, document, schemas)
        schemas.update(document.get("components", {}).get("schemas", {}))
        merged["paths"].update(document.get("paths", {}))
    return merged


def _rename_clashes(prefix: str, document: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(document)
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name in existing and existing[name] != schema:
            new_name = f"{prefix}__{name}"
            text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{new_name}"')
            text = text.replace(f'"{name}": {{', f'"{new_name}": {{', 1)
    return json.loads(text)  # type: ignore[no-any-return]


async def fetch_documents(upstreams: Upstreams) -> dict[str, dict[str, Any]]:
    documents = {}
    for prefix, client in upstreams.items():
        response = await client.get(f"/api/v1/{prefix}/openapi.json")
        response.raise_for_status()
        documents[prefix] = response.json()
    return documents


@router.get("/openapi.json")
async def merged_openapi(request: Request) -> dict[str, Any]:
    own = request.app.openapi()
    return merge_openapi(own, await fetch_documents(request.app.state.upstreams))


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="SRDI API / 专精特新平台接口")
