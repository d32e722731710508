"""``Idempotency-Key`` on POST: a retried request gets the first response, not a second effect.

The stored response is written in the same transaction as the effect (and its outbox rows), so a
crash can never leave an effect without its key or a key without its effect. The same key with a
different body is refused (422), as the IETF idempotency-key draft recommends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared.identity import Principal
from shared.problems import Problem
from shared.uow import UnitOfWork

IDEMPOTENCY_HEADER = "Idempotency-Key"
Effect = Callable[[UnitOfWork], Awaitable[tuple[int, Any, dict[str, str]]]]


def _request_hash(request: Request, body: bytes) -> str:
    return hashlib.sha256(request.method.encode() + request.url.path.encode() + b"\0" + body).hexdigest()


async def run_idempotent(
    request: Request, principal: Principal, uow_factory: Callable[[], UnitOfWork], effect: Effect
) -> JSONResponse:
    """Run ``effect`` (which must not commit) once per (key, caller); replay the stored response."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    body = await request.body()
    async with uow_factory() as uow:
        if key:
            stored = await _stored(uow, key, principal)
            if stored is not None:
                return _replay(stored, _request_hash(request, body))
        status, payload, headers = await effect(uow)
        content = jsonable_encoder(payload)
        if key:
            await _store(uow, key, principal, request, body, status, content)
        try:
            await uow.commit()
        except IntegrityError:
            if not key:
                raise
            # A concurrent request with the same key won; answer as it did.
            async with uow_factory() as again:
                stored = await _stored(again, key, principal)
            if stored is None:
                raise
            return _replay(stored, _request_hash(request, body))
    return JSONResponse(content, status_code=status, headers=headers)


async def _stored(uow: UnitOfWork, key: str, principal: Principal) -> Any:
    table = uow.tables.idempotency_key
    result = await uow.session.execute(select(table).where(table.c.key == key, table.c.principal == principal.subject))
    return result.mappings().first()


async def _store(
    uow: UnitOfWork, key: str, principal: Principal, request: Request, body: bytes, status: int, content: Any
) -> None:
    await uow.session.execute(
        uow.tables.idempotency_key.insert().values(
            key=key,
            principal=principal.subject,
            method=request.method,
            path=request.url.path,
            request_hash=_request_hash(request, body),
            status_code=status,
            response=content,
            created_at=datetime.now(UTC),
        )
    )


def _replay(stored: Any, request_hash: str) -> JSONResponse:
    if stored["request_hash"] != request_hash:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key was already used with a different request",
            "该幂等键已用于另一个不同的请求",
        )
    return JSONResponse(stored["response"], status_code=stored["status_code"], headers={"Idempotent-Replayed": "true"})
