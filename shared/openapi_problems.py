"""The error side of every operation in the OpenAPI: RFC 9457 problem details, documented once.

``install_problem_handlers`` calls :func:`document_problems`, so every service (and every service to
come) documents the same ``Problem`` schema under ``application/problem+json`` for each error status
it may answer — FastAPI's default ``422 application/json HTTPValidationError`` is replaced by what is
really sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

ERROR_STATUSES: dict[str, str] = {
    "400": "Bad request / 请求有误",
    "401": "Authentication required / 需要身份认证",
    "403": "Forbidden / 无权访问",
    "404": "Not found / 未找到",
    "409": "Conflict / 冲突",
    "412": "Precondition failed (stale ETag) / 版本不匹配",
    "413": "Content too large / 内容过大",
    "415": "Unsupported media type / 不支持的文件类型",
    "422": "Validation failed, field by field / 请求数据校验未通过",
    "428": "Precondition required (If-Match) / 须提供 If-Match",
    "429": "Too many requests (see Retry-After) / 请求过于频繁",
    "500": "Internal error (logged with the request id) / 服务器内部错误",
}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "ProblemFieldError": {
        "type": "object",
        "title": "ProblemFieldError",
        "required": ["field", "code", "message", "message_zh"],
        "properties": {
            "field": {"type": "string", "description": "the offending field, e.g. financials[0].rd_expense"},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "message_zh": {"type": "string"},
            "value": {"description": "the value sent, when small enough to echo"},
        },
    },
    "Problem": {
        "type": "object",
        "title": "Problem",
        "description": "RFC 9457 problem details, in English and Chinese / 错误详情（中英文）",
        "required": ["type", "title", "title_zh", "status", "detail", "detail_zh", "instance", "code"],
        "properties": {
            "type": {"type": "string", "example": "urn:srdi:problem:validation-failed"},
            "title": {"type": "string"},
            "title_zh": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "detail_zh": {"type": "string"},
            "instance": {"type": "string"},
            "code": {"type": "string"},
            "request_id": {"type": ["string", "null"]},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemFieldError"}},
        },
    },
}


def add_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Document the problem shape on every operation of an OpenAPI document (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(PROBLEM_SCHEMAS)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses[status] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def document_problems(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
