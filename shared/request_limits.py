"""Input limits every service applies before any route runs (installed by ``shared.http_security``).

- **JSON bodies** are parsed strictly once: ``NaN``/``Infinity`` (which Python's ``json`` accepts
  but JSON does not), nesting deeper than :data:`MAX_DEPTH` and bodies above
  :data:`MAX_JSON_BYTES`, integers beyond 64 bits and lone surrogates are a 422/413 problem naming
  the field. A number a float cannot hold
  exactly (``99999999999999.99``, a 36-digit amount, ``1e400``) is handed to the route as its exact
  decimal text, so Decimal fields (money) never go through a float; numbers a float holds exactly
  pass unchanged.
- **URLs**: a path or query value with control or invisible characters, a query value longer than
  :data:`MAX_QUERY_VALUE` characters, or a path longer than :data:`MAX_PATH` is a 422 problem.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import FieldError, Problem, send_problem
from shared.text import forbidden_characters

MAX_JSON_BYTES = 1 << 20
MAX_DEPTH = 16
MAX_QUERY_VALUE = 1000
MAX_PATH = 2000


class _Exact(str):
    """A JSON number a float would round: kept as its decimal text."""


class _NonFinite:
    def __init__(self, literal: str) -> None:
        self.literal = literal


def _parse_float(literal: str) -> Any:
    number = float(literal)
    if math.isfinite(number) and Decimal(repr(number)) == Decimal(literal):
        return number
    return _Exact(str(Decimal(literal)))


def _scan(value: Any) -> tuple[int, list[tuple[str, str]], bool]:
    """Nesting depth; (path, problem) of every NaN/Infinity and every text with a lone surrogate
    (it cannot be stored or sent anywhere as UTF-8); whether any number was kept as text."""
    depth, marks, exact = 0, [], False
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, level = stack.pop()
        if isinstance(node, dict):
            depth = max(depth, level)
            for k, v in node.items():
                key_path = f"{path}.{k}" if path else str(k)
                if not _encodable(k):
                    marks.append((key_path, "surrogate"))
                stack.append((v, key_path, level + 1))
        elif isinstance(node, list):
            depth = max(depth, level)
            stack.extend((v, f"{path}[{i}]", level + 1) for i, v in enumerate(node))
        elif isinstance(node, _NonFinite):
            marks.append((path or "body", node.literal))
        elif isinstance(node, _Exact):
            exact = True
        elif isinstance(node, str) and not _encodable(node):
            marks.append((path or "body", "surrogate"))
        elif isinstance(node, int) and not isinstance(node, bool) and not -(2**63) <= node < 2**63:
            marks.append((path or "body", "int64"))
    return depth, marks, exact


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(raw: bytes) -> bytes:
    """The body to hand on (``raw`` itself unless a number had to be kept as text); a Problem if
    the body is not acceptable JSON."""
    if len(raw) > MAX_JSON_BYTES:
        raise too_large()
    try:
        document = json.loads(raw, parse_float=_parse_float, parse_constant=_NonFinite)
    except RecursionError:
        raise _invalid("body", "json_too_deep", f"nested deeper than {MAX_DEPTH} levels",
                       f"嵌套超过 {MAX_DEPTH} 层") from None  # fmt: skip
    except (ValueError, UnicodeDecodeError) as error:
        raise _invalid("body", "json_invalid", f"not valid JSON: {str(error)[:120]}", "不是有效的 JSON") from None
    depth, marks, exact = _scan(document)
    if marks:
        errors = [
            FieldError(path, "json_lone_surrogate", "text with a lone surrogate (not encodable as UTF-8)",
                       "含有无法编码的字符（孤立的代理项）")
            if what == "surrogate"
            else FieldError(path, "json_integer_out_of_range", "integer beyond the 64-bit range", "整数超出 64 位范围")
            if what == "int64"
            else FieldError(path, "json_non_finite", f"{what} is not a JSON number; send a finite number",
                            "NaN、Infinity 不是合法的 JSON 数字", what)
            for path, what in marks
        ]  # fmt: skip
        raise Problem(
            422, "validation-failed", "The request is not valid", "请求数据校验未通过",
            detail=f"{len(errors)} field(s) failed validation", detail_zh=f"{len(errors)} 个字段未通过校验",
            errors=errors,
        )  # fmt: skip
    if depth > MAX_DEPTH:
        raise _invalid("body", "json_too_deep", f"nested deeper than {MAX_DEPTH} levels", f"嵌套超过 {MAX_DEPTH} 层")
    if not exact:
        return raw
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def too_large() -> Problem:
    return Problem(
        413, "body-too-large", "Request body too large", "请求内容过大",
        detail=f"at most {MAX_JSON_BYTES} bytes of JSON", detail_zh=f"JSON 最多 {MAX_JSON_BYTES} 字节",
    )  # fmt: skip


def _invalid(field: str, code: str, en: str, zh: str, value: Any = None) -> Problem:
    return Problem(
        422, "validation-failed", "The request is not valid", "请求数据校验未通过", detail=en, detail_zh=zh,
        errors=[FieldError(field, code, en, zh, value)],
    )  # fmt: skip


def check_url(path: str, query_string: bytes) -> None:
    if len(path) > MAX_PATH:
        raise _invalid("path", "string_too_long", f"the path is longer than {MAX_PATH} characters", "请求路径过长")
    bad = forbidden_characters(path)
    if bad:
        raise _invalid("path", "text_forbidden_characters", f"the path contains control or invisible characters "
                       f"({', '.join(bad[:3])})", "请求路径含有控制字符或不可见字符")  # fmt: skip
    try:
        pairs = parse_qsl(query_string.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise _invalid("query", "string_unicode", "the query string is not UTF-8", "查询参数不是 UTF-8 编码") from None
    for name, value in pairs:
        if len(value) > MAX_QUERY_VALUE or len(name) > 100:
            raise _invalid(name[:100], "string_too_long", f"at most {MAX_QUERY_VALUE} characters",
                           f"查询参数最多 {MAX_QUERY_VALUE} 个字符")  # fmt: skip
        bad = forbidden_characters(name + value)
        if bad:
            raise _invalid(name[:100], "text_forbidden_characters",
                           f"contains control or invisible characters ({', '.join(bad[:3])})",
                           "含有控制字符或不可见字符")  # fmt: skip


def _is_json(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_url(scope.get("path", ""), scope.get("query_string", b""))
        except Problem as problem:
            await send_problem(send, problem, scope.get("path", "")[:200])
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BYTES:
                await send_problem(send, too_large(), scope["path"])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        if raw:
            try:
                raw = check_json(raw)
            except Problem as problem:
                await send_problem(send, problem, scope["path"])
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        await self.app({**scope, "headers": headers}, replay, send)
