"""What the gateway adds to a call: the same GET straight into the eligibility app (with a signed
identity, as the gateway would send) vs through the gateway (API key lookup, rate limits, scope
check, breaker, request id, access log), both in-process over httpx's ASGI transport, interleaved.

    .venv/bin/python -m bench.gateway_overhead [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from services.embedded import EmbeddedPlatform
from services.gateway.persistence.api_keys import create_key
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity

PATH = "/api/v1/eligibility/rule-sets"


async def timed(client: httpx.AsyncClient, requests: int, concurrency: int) -> list[float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            response = await client.get(PATH)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(one() for _ in range(requests)))
    return latencies


async def main(requests: int, concurrency: int) -> None:
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        platform = EmbeddedPlatform(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'srdi.db'}",
                                    registry_demo_count=0, demo_keys=False,
                                    gateway_rate_limit_per_key="1000000/minute")  # fmt: skip
        await platform.start()
        try:
            async with platform.runtimes["gateway"].uow() as uow:
                _, key = await create_key(uow, Role.PROVINCIAL_OPERATOR, "53", "bench")
            settings = platform.runtimes["eligibility"].settings
            identity = sign_identity(Principal(Role.PROVINCIAL_OPERATOR, "53", "bench"),
                                     settings.internal_signing_key, 3600)  # fmt: skip
            direct = httpx.AsyncClient(transport=httpx.ASGITransport(app=platform.service_apps["eligibility"]),
                                       base_url="http://eligibility", headers={IDENTITY_HEADER: identity})  # fmt: skip
            gateway = httpx.AsyncClient(transport=httpx.ASGITransport(app=platform.app), base_url="http://gateway",
                                        headers={"Authorization": f"Bearer {key.plaintext}"})  # fmt: skip
            await timed(direct, 50, concurrency)
            await timed(gateway, 50, concurrency)  # warm-up
            results: dict[str, list[float]] = {"direct": [], "gateway": []}
            walls = {"direct": 0.0, "gateway": 0.0}
            for _ in range(3):  # interleaved rounds, same process, same data
                for name, client in (("direct", direct), ("gateway", gateway)):
                    started = time.perf_counter()
                    results[name] += await timed(client, requests // 3, concurrency)
                    walls[name] += time.perf_counter() - started
            for name, latencies in results.items():
                latencies.sort()
                p50 = statistics.median(latencies) * 1000
                p95 = latencies[int(len(latencies) * 0.95)] * 1000
                print(f"{name:8} {len(latencies) / walls[name]:8.0f} req/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
            await direct.aclose()
            await gateway.aclose()
        finally:
            await platform.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.concurrency))
