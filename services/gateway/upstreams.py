"""The services behind the gateway, each reached through one long-lived httpx client.

Distributed: a pooled client per service URL. Embedded: the same client code over
``httpx.ASGITransport`` straight into the service's ASGI app — one code path, no sockets.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from starlette.types import ASGIApp

from shared.config import ROUTE_PREFIXES

_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30)


class Upstreams:
    def __init__(self, clients: Mapping[str, httpx.AsyncClient]) -> None:
        # keyed by public route prefix: "registry", "eligibility", "finance", "notifications"
        self._clients = dict(clients)

    @classmethod
    def over_http(cls, service_urls: Mapping[str, str], timeout: float) -> Upstreams:
        return cls(
            {
                ROUTE_PREFIXES[service]: httpx.AsyncClient(base_url=url, limits=_LIMITS, timeout=timeout)
                for service, url in service_urls.items()
            }
        )

    @classmethod
    def in_process(cls, apps: Mapping[str, ASGIApp], timeout: float) -> Upstreams:
        return cls(
            {
                ROUTE_PREFIXES[service]: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{service}", timeout=timeout
                )
                for service, app in apps.items()
            }
        )

    def client_for(self, prefix: str) -> httpx.AsyncClient | None:
        return self._clients.get(prefix)

    def items(self) -> list[tuple[str, httpx.AsyncClient]]:
        return list(self._clients.items())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
