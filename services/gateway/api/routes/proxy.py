"""The one-stop entry: every ``/api/v1/<service>/…`` call is authenticated here and forwarded.

Identity headers arriving from outside are dropped; the gateway adds its own signed identity.
Public endpoints (the self-assessment contract) pass without a key.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from services.gateway.api.deps import OptionalCallerDep, UpstreamsDep
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


@router.api_route(
    "/api/v1/{prefix}/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward(
    prefix: str, path: str, request: Request, caller: OptionalCallerDep, upstreams: UpstreamsDep
) -> Response:
    client = upstreams.client_for(prefix)
    if client is None:
        raise Problem(404, "no-such-service", f"No service at /api/v1/{prefix}", f"不存在服务 /api/v1/{prefix}")
    if caller is None and (request.method, prefix, path.rstrip("/")) not in PUBLIC_ROUTES:
        raise unauthenticated()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    headers["X-Request-ID"] = request_id_var.get() or ""
    headers["traceparent"] = current_traceparent() or ""
    headers["X-Forwarded-For"] = request.client.host if request.client else ""
    if caller is not None:
        settings = request.app.state.runtime.settings
        headers[IDENTITY_HEADER] = sign_identity(caller, settings.internal_signing_key, settings.identity_ttl_seconds)
    upstream_request = client.build_request(
        request.method,
        request.url.path,
        params=request.query_params,
        headers=headers,
        content=await request.body(),
    )
    upstream = await client.send(upstream_request, stream=True)
    return StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        headers={k: v for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE},
        background=BackgroundTask(upstream.aclose),
    )
