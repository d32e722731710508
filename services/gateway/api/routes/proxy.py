"""The one-stop entry: every ``/api/v1/<service>/…`` call is authenticated here and forwarded.

Identity headers arriving from outside are dropped; the gateway adds its own signed identity.
Public endpoints (the self-assessment contract) pass without a key.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from services.gateway.api.deps import (
    SAFE_METHODS,
    OptionalCallerDep,
    RateLimitsDep,
    UpstreamsDep,
    client_address,
    require_scope,
)
from shared.identity import IDENTITY_HEADER, sign_identity
from shared.logs import current_traceparent, request_id_var
from shared.problems import Problem, unauthenticated

router = APIRouter(tags=["proxy"])

PUBLIC_ROUTES = {("POST", "eligibility", "evaluate")}
# Hop-by-hop headers (RFC 9110 §7.6.1) and anything that would let a caller pose as someone else.
_DROP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-authorization",
    "authorization",
    "x-api-key",
    "content-length",
    IDENTITY_HEADER.lower(),
}
_DROP_RESPONSE = {"connection", "keep-alive", "transfer-encoding", "content-length"}
PATH_SAFE = "/:@!$&'()*+,;=~"  # RFC 3986 pchar delimiters kept as they are (unreserved ones always are)
BUFFER_BELOW_BYTES = 256 * 1024  # larger answers (exports, files) are streamed through


def forwarded_request(
    client: httpx.AsyncClient, method: str, path: str, query: bytes, headers: dict[str, str], content: bytes | None
) -> httpx.Request:
    """The upstream request, built directly: the query string as the caller sent it (repeated names
    kept), no cookies the client may have picked up from an upstream's answer, the client's timeouts.
    (``client.build_request`` re-parses and merges all of that on every call.)"""
    base = client.base_url
    # The ASGI path is decoded: encode it again, or a '#', '?' or non-ASCII character the caller sent
    # percent-encoded would end the path (or fail the URL) on its way to the service.
    path = quote(path, safe=PATH_SAFE)
    if base.raw_path not in (b"", b"/"):  # a service mounted under a path: let httpx join the two
        return client.build_request(method, path, headers=headers, content=content, params=query.decode("latin-1"))
    url = base.copy_with(path=path, query=query or None)
    return httpx.Request(method, url, headers=headers, content=content,
                         extensions={"timeout": client.timeout.as_dict()})  # fmt: skip


@router.api_route(
    "/api/v1/{prefix}/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(
    prefix: str,
    path: str,
    request: Request,
    caller: OptionalCallerDep,
    upstreams: UpstreamsDep,
    limits: RateLimitsDep,
) -> Response:
    client = upstreams.client_for(prefix)
    if client is None:
        raise Problem(404, "no-such-service", f"No service at /api/v1/{prefix}", f"不存在服务 /api/v1/{prefix}")
    public = (request.method, prefix, path.rstrip("/")) in PUBLIC_ROUTES
    if caller is None and not public:
        raise unauthenticated()
    if public:
        # The public self-assessment is the most exposed endpoint: limited per address, key or not.
        await limits.hit(limits.rules.evaluate, "evaluate", client_address(request))
    elif caller is not None:
        require_scope(request, f"{prefix}:{'read' if request.method in SAFE_METHODS else 'write'}")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    headers["X-Request-ID"] = request_id_var.get() or ""
    headers["traceparent"] = current_traceparent() or ""
    headers["X-Forwarded-For"] = request.client.host if request.client else ""
    if caller is not None:
        settings = request.app.state.runtime.settings
        headers[IDENTITY_HEADER] = sign_identity(caller, settings.internal_signing_key, settings.identity_ttl_seconds)
    has_body = request.method not in SAFE_METHODS or "content-length" in request.headers
    upstream_request = forwarded_request(
        client, request.method, request.scope["path"], request.scope["query_string"], headers,
        await request.body() if has_body or "transfer-encoding" in request.headers else None,
    )  # fmt: skip
    upstream = await upstreams.send(prefix, upstream_request, stream=True)
    response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE}
    declared = upstream.headers.get("content-length", "")
    if declared.isdigit() and int(declared) <= BUFFER_BELOW_BYTES:
        # A small answer of known size (most of them): read whole and sent in one message — streaming
        # it chunk by chunk through the middlewares costs more than it saves.
        try:
            body = b"".join([chunk async for chunk in upstream.aiter_raw()])  # as sent: still encoded
        finally:
            await upstream.aclose()
        return Response(body, status_code=upstream.status_code, headers=response_headers)
    return StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        headers=response_headers,
        background=BackgroundTask(upstream.aclose),
    )
