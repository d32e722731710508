"""RFC 9457 problem details, in Chinese and English, with field-level detail.

Every error a service returns goes through here: domain errors raise :class:`Problem`, request
validation errors become 422 with one entry per field, anything unexpected a 500 that leaks nothing.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import request_id_var

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


@dataclass
class FieldError:
    field: str
    code: str
    message: str
    message_zh: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        entry = {"field": self.field, "code": self.code, "message": self.message, "message_zh": self.message_zh}
        if self.value is not None:
            entry["value"] = self.value
        return entry


@dataclass
class Problem(Exception):
    status: int
    code: str
    title: str
    title_zh: str
    detail: str = ""
    detail_zh: str = ""
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:srdi:problem:{self.code}",
            "title": self.title,
            "title_zh": self.title_zh,
            "status": self.status,
            "detail": self.detail or self.title,
            "detail_zh": self.detail_zh or self.title_zh,
            "instance": instance,
            "code": self.code,
            "request_id": request_id_var.get(),
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


def not_found(what_en: str, what_zh: str) -> Problem:
    return Problem(404, "not-found", f"{what_en} not found", f"未找到{what_zh}")


def forbidden(detail: str = "", detail_zh: str = "") -> Problem:
    return Problem(403, "forbidden", "Forbidden", "无权访问", detail, detail_zh)


def unauthenticated() -> Problem:
    return Problem(
        401,
        "unauthenticated",
        "Authentication required",
        "需要身份认证",
        headers={"WWW-Authenticate": 'ApiKey realm="srdi"'},
    )


# zh messages for pydantic's error types; the English comes from pydantic itself.
_ZH_BY_TYPE = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "decimal_parsing": "不是有效的数字",
    "decimal_type": "不是有效的数字",
    "int_parsing": "不是有效的整数",
    "int_type": "不是有效的整数",
    "int_from_float": "必须是整数",
    "float_parsing": "不是有效的数字",
    "bool_parsing": "不是有效的布尔值",
    "date_parsing": "不是有效的日期（应为 ISO 8601，如 2024-05-20）",
    "date_from_datetime_parsing": "不是有效的日期（应为 ISO 8601，如 2024-05-20）",
    "string_type": "必须是字符串",
    "literal_error": "取值不在允许的范围内",
    "enum": "取值不在允许的范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_too_long": "字符串过长",
    "string_too_short": "字符串过短",
    "string_pattern_mismatch": "格式不正确",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效",
    "finite_number": "必须是有限的数字（不接受 NaN 或 Infinity）",
    "decimal_max_places": "小数位数过多",
    "decimal_max_digits": "数字位数过多",
    "decimal_whole_digits": "整数位数过多",
    "too_long": "元素过多",
    "too_short": "元素过少",
    "dict_type_keys": "对象的键无效",
    "url_parsing": "不是有效的网址",
    "uuid_parsing": "不是有效的编号（UUID）",
    "model_attributes_type": "必须是对象",
    "union_tag_invalid": "取值不在允许的范围内",
    "bytes_too_long": "内容过长",
    "text_forbidden_characters": "含有控制字符或不可见字符",
    "money_invalid": "不是有效的金额（元）",
    "money_out_of_range": "金额超出允许范围",
    "money_negative": "金额不能为负数",
    "money_too_many_decimals": "金额最多两位小数",
    "json_too_deep": "JSON 嵌套过深",
    "json_non_finite": "NaN、Infinity 不是合法的 JSON 数字",
    "json_too_large": "JSON 内容过大",
    "json_lone_surrogate": "含有无法编码的字符（孤立的代理项）",
    "json_integer_out_of_range": "整数超出 64 位范围",
}


def field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    field_errors = [
        FieldError(
            field=field_path(tuple(err.get("loc", ()))),
            code=str(err.get("type", "invalid")),
            message=str(err.get("msg", "invalid")),
            message_zh=_ZH_BY_TYPE.get(str(err.get("type")), "取值无效") + _zh_suffix(err),
            value=_safe_value(err.get("input")),
        )
        for err in errors
    ]
    return Problem(
        422,
        "validation-failed",
        "The request is not valid",
        "请求数据校验未通过",
        detail=f"{len(field_errors)} field(s) failed validation",
        detail_zh=f"{len(field_errors)} 个字段未通过校验",
        errors=field_errors,
    )


def _zh_suffix(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if "error" in ctx:
        return f"：{ctx['error']}"
    if "expected" in ctx:
        return f"（允许：{ctx['expected']}）"
    return ""


def _safe_value(value: Any) -> Any:
    """The offending input, echoed only when it is small and JSON-safe (NaN/Infinity as text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return str(value)[:40] + "…"
    if isinstance(value, str):
        value = value.encode("utf-8", errors="backslashreplace").decode("utf-8")  # lone surrogates
        return value if len(value) < 200 else value[:200] + "…"
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return None


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers or None,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(list(exc.errors())), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        zh = {404: "未找到", 405: "不支持该请求方法", 401: "需要身份认证", 403: "无权访问"}.get(
            exc.status_code, "请求错误"
        )
        problem = Problem(
            exc.status_code, f"http-{exc.status_code}", str(exc.detail), zh, headers=dict(exc.headers or {})
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(internal_error(), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(LastResortMiddleware)
    from shared.openapi_problems import document_problems

    document_problems(app)


def internal_error() -> Problem:
    return Problem(
        500,
        "internal-error",
        "Internal server error",
        "服务器内部错误",
        "The error was logged with the request id.",
        "错误已记录，请提供请求编号。",
    )


async def send_problem(send: Send, problem: Problem, path: str) -> None:
    """A problem+json response from plain ASGI code (middlewares, before any route runs)."""
    body = json.dumps(problem.body(path), ensure_ascii=False).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LastResortMiddleware:
    """Any exception that escapes a route (or a middleware inside this one) becomes a problem+json
    500 carrying the request id — never a traceback, never a bare text body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_problem(send, internal_error(), scope.get("path", ""))
