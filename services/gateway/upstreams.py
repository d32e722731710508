"""The services behind the gateway, each reached through one long-lived httpx client.

Distributed: a pooled client per service URL. Embedded: the same client code over
``httpx.ASGITransport`` straight into the service's ASGI app — one code path, no sockets.

:meth:`Upstreams.send` is the one way a request reaches a service: a circuit breaker per upstream
(open → 503 with Retry-After), a deadline for the response head (httpx's own timeouts do not apply
to the ASGI transport, so the deadline is enforced here too), and retries with a short backoff —
for every method when the connection could not be made (nothing was sent), otherwise only for
idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE, or a POST carrying an Idempotency-Key).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from starlette.types import ASGIApp

from services.gateway.domain.breaker import BreakerOpen, CircuitBreaker
from shared.config import ROUTE_PREFIXES
from shared.problems import Problem

log = logging.getLogger(__name__)
_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Answers that say "the upstream is not well" (and count against its breaker).
UNHEALTHY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class UpstreamPolicy:
    timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 3.0
    retries: int = 2
    retry_backoff_seconds: float = 0.05
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0


def is_idempotent(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


class Upstreams:
    def __init__(self, clients: Mapping[str, httpx.AsyncClient], policy: UpstreamPolicy | None = None) -> None:
        # keyed by public route prefix: "registry", "eligibility", "finance", "notifications"
        self._clients = dict(clients)
        self.configure(policy or UpstreamPolicy())

    def configure(self, policy: UpstreamPolicy) -> None:
        self.policy = policy
        self.breakers = {
            prefix: CircuitBreaker(policy.breaker_failures, policy.breaker_reset_seconds) for prefix in self._clients
        }
        timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
        for client in self._clients.values():
            client.timeout = timeout

    @classmethod
    def over_http(cls, service_urls: Mapping[str, str], timeout: float) -> Upstreams:
        return cls(
            {
                ROUTE_PREFIXES[service]: httpx.AsyncClient(base_url=url, limits=_LIMITS, timeout=timeout)
                for service, url in service_urls.items()
            },
            UpstreamPolicy(timeout_seconds=timeout),
        )

    @classmethod
    def in_process(cls, apps: Mapping[str, ASGIApp], timeout: float) -> Upstreams:
        return cls(
            {
                ROUTE_PREFIXES[service]: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{service}", timeout=timeout
                )
                for service, app in apps.items()
            },
            UpstreamPolicy(timeout_seconds=timeout),
        )

    def client_for(self, prefix: str) -> httpx.AsyncClient | None:
        return self._clients.get(prefix)

    def items(self) -> list[tuple[str, httpx.AsyncClient]]:
        return list(self._clients.items())

    async def send(self, prefix: str, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with breaker, deadline and retries; failures become problem+json (502/503/504)."""
        client = self._clients.get(prefix)
        if client is None:
            raise Problem(404, "no-such-service", f"No service at /api/v1/{prefix}", f"不存在服务 /api/v1/{prefix}")
        breaker = self.breakers[prefix]
        policy = self.policy
        attempt = 0
        while True:
            try:
                breaker.before_call()
            except BreakerOpen as open_:
                raise upstream_open(prefix, open_.retry_after) from None
            try:
                async with asyncio.timeout(policy.timeout_seconds):
                    response = await client.send(request, stream=stream)
            except (TimeoutError, httpx.TimeoutException) as error:
                breaker.record_failure()
                connect_failed = isinstance(error, httpx.ConnectTimeout)
                if attempt < policy.retries and (connect_failed or is_idempotent(request)):
                    attempt += 1
                    await asyncio.sleep(policy.retry_backoff_seconds * 2 ** (attempt - 1))
                    continue
                log.warning("upstream %s timed out: %s %s", prefix, request.method, request.url.path)
                raise Problem(
                    504, "upstream-timeout", "Upstream service timed out", "下游服务响应超时",
                    detail=f"{prefix} did not answer within {policy.timeout_seconds}s",
                    detail_zh=f"{prefix} 服务在 {policy.timeout_seconds} 秒内未响应",
                ) from None  # fmt: skip
            except httpx.TransportError as error:
                breaker.record_failure()
                connect_failed = isinstance(error, httpx.ConnectError)
                if attempt < policy.retries and (connect_failed or is_idempotent(request)):
                    attempt += 1
                    await asyncio.sleep(policy.retry_backoff_seconds * 2 ** (attempt - 1))
                    continue
                log.warning("upstream %s unreachable: %s", prefix, error)
                raise Problem(
                    502, "upstream-unavailable", "Upstream service unreachable", "下游服务不可达", detail=prefix
                ) from None
            if response.status_code in UNHEALTHY_STATUSES:
                breaker.record_failure()
                if attempt < policy.retries and is_idempotent(request):
                    await response.aclose()
                    attempt += 1
                    await asyncio.sleep(policy.retry_backoff_seconds * 2 ** (attempt - 1))
                    continue
            else:
                breaker.record_success()
            return response

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def upstream_open(prefix: str, retry_after: float) -> Problem:
    seconds = str(max(1, round(retry_after)))
    return Problem(
        503, "upstream-circuit-open", "Upstream service temporarily unavailable", "下游服务暂时不可用",
        detail=f"{prefix} is failing; calls are paused for {seconds}s",
        detail_zh=f"{prefix} 服务连续失败，暂停调用 {seconds} 秒", headers={"Retry-After": seconds},
    )  # fmt: skip
