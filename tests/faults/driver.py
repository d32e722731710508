"""A steady, bounded stream of writes through the gateway, each recorded with its id.

Per enterprise, in order: register it (registry), file its 2024 and 2025 financial reports (registry),
post one financing need (finance_match) and submit one service request (诉求, notifications), both with
the enterprise's own API key. Every write carries an
``Idempotency-Key``; a write that fails on the way (connection cut, 5xx while a part is down) is sent
again with the same key until it is accepted or its deadline passes — so an accepted write is
applied once however many times it travelled. ``workers`` bounds concurrency, ``rate`` the writes per
second (the stream stays steady while a fault is on, instead of bursting after it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.builders import credit_code, enterprise, financials
from tests.support.finance import FINANCE, bank_body, need_body, product_body

COUNTIES = ("530102", "532501", "530302", "530402")  # 昆明五华, 红河个旧, 曲靖麒麟, 玉溪红塔
YEARS = (2024, 2025)
WRITES_PER_ENTERPRISE = 1 + len(YEARS) + 2
RETRYABLE = {500, 502, 503, 504}
NOTIFICATIONS = "/api/v1/notifications"
# One officer per prefecture of the stream: every enterprise gets one, every request notifies one.
OFFICERS = {prefecture: f"faults-officer-{prefecture}" for prefecture in sorted({c[:4] for c in COUNTIES})}


@dataclass
class Write:
    kind: str  # registration | financials | need | request
    uscc: str
    key: str  # the Idempotency-Key
    seq: int  # position of the write in its enterprise's stream
    year: int | None = None
    need_id: str | None = None
    request_id: str | None = None
    attempts: int = 0
    status: int | None = None
    accepted_at: float | None = None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


@dataclass
class LoadDriver:
    gateway_url: str
    admin_key: str
    enterprises: int
    serial_base: int
    workers: int = 8
    rate: float = 80.0
    write_deadline: float = 180.0
    writes: list[Write] = field(default_factory=list)
    _next_start: float = 0.0
    _pace_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def accepted(self) -> int:
        return sum(1 for w in self.writes if w.accepted)

    def usccs(self) -> list[str]:
        return [credit_code(self.serial_base + i, COUNTIES[i % len(COUNTIES)]) for i in range(self.enterprises)]

    async def _pace(self) -> None:
        async with self._pace_lock:
            now = time.monotonic()
            wait = self._next_start - now
            self._next_start = max(now, self._next_start) + 1.0 / self.rate
        if wait > 0:
            await asyncio.sleep(wait)  # rate limiting of the stream, not synchronisation

    async def _send(self, client: httpx.AsyncClient, write: Write, method: str, path: str, body: dict[str, Any],
                    retry_conflict: bool = False, retry_unknown: bool = False) -> httpx.Response | None:  # fmt: skip
        deadline = time.monotonic() + self.write_deadline
        delay = 0.05
        await self._pace()
        while True:
            write.attempts += 1
            try:
                response = await client.request(method, path, json=body, headers={"Idempotency-Key": write.key})
            except httpx.HTTPError as error:
                write.error = f"{type(error).__name__}: {error}"
            else:
                write.status = response.status_code
                if response.status_code < 300:
                    try:
                        response.json()
                    except ValueError:
                        # The gateway streams the upstream's answer: a service killed after its status
                        # line leaves a 2xx with a cut body. Not known to be applied: retry with the key.
                        write.error = f"{response.status_code} with an unreadable body"
                    else:
                        write.accepted_at = time.monotonic()
                        self.writes.append(write)
                        return response
                    if time.monotonic() > deadline:
                        self.writes.append(write)
                        return None
                    await asyncio.sleep(delay)  # back-off between retries of a failed write
                    continue
                retry = response.status_code in RETRYABLE or (retry_conflict and response.status_code == 409)
                retry = retry or (retry_unknown and response.status_code == 404)
                # A retry racing its own first attempt (cut off by a timeout) may see that attempt's version.
                retry = retry or (write.attempts > 1 and response.status_code == 412)
                write.error = response.text[:300]
                if not retry:
                    self.writes.append(write)
                    return None
            if time.monotonic() > deadline:
                self.writes.append(write)
                return None
            await asyncio.sleep(delay)  # back-off between retries of a failed write
            delay = min(1.0, delay * 2)

    async def setup(self) -> None:
        """The bank the needs are shared with, and the officers the enterprises are assigned to."""
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=30,
                                     headers={"Authorization": f"Bearer {self.admin_key}"}) as admin:  # fmt: skip
            for prefecture, officer in OFFICERS.items():
                response = await admin.post(f"{NOTIFICATIONS}/officers", json={
                    "id": officer, "name": f"服务员{prefecture}", "organisation": f"{prefecture} 中小企业服务中心",
                    "prefecture_code": prefecture, "capacity": 10_000})  # fmt: skip
                assert response.status_code in (201, 409), response.text
            prefectures = sorted({c[:4] for c in COUNTIES})
            response = await admin.post(f"{FINANCE}/banks", json=bank_body("bank-f", prefectures, capacity=100_000))
            assert response.status_code in (201, 409), response.text
            key = await self._key(admin, "bank", "bank-f")
            async with httpx.AsyncClient(base_url=self.gateway_url, timeout=30,
                                         headers={"Authorization": f"Bearer {key}"}) as bank:  # fmt: skip
                response = await bank.post(f"{FINANCE}/banks/bank-f/products", json=product_body("通用贷"))
                assert response.status_code == 201, response.text

    async def _key(self, admin: httpx.AsyncClient, role: str, tenant: str) -> str:
        deadline = time.monotonic() + self.write_deadline
        while True:
            try:
                response = await admin.post("/api/v1/gateway/api-keys", json={"role": role, "tenant": tenant,
                                                                              "name": f"faults {tenant}"})  # fmt: skip
                if response.status_code == 201:
                    return str(response.json()["key"])
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no API key for {tenant} within {self.write_deadline}s")
            await asyncio.sleep(0.2)  # back-off while the gateway's database is away

    async def one_enterprise(self, admin: httpx.AsyncClient, index: int) -> None:
        county = COUNTIES[index % len(COUNTIES)]
        body = enterprise(self.serial_base + index, county=county)
        uscc = body["uscc"]
        key = uuid.uuid4().hex
        if await self._send(admin, Write("registration", uscc, key, 0), "POST", "/api/v1/registry/enterprises",
                            body) is None:  # fmt: skip
            return
        for seq, year in enumerate(YEARS, start=1):
            write = Write("financials", uscc, uuid.uuid4().hex, seq, year=year)
            report = financials(70_000_000 + 9_000_000 * seq + index)
            if await self._send(admin, write, "PUT", f"/api/v1/registry/enterprises/{uscc}/financials/{year}",
                                report) is None:  # fmt: skip
                return
        own_key = await self._key(admin, "enterprise", uscc)
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=30,
                                     headers={"Authorization": f"Bearer {own_key}"}) as own:  # fmt: skip
            write = Write("need", uscc, uuid.uuid4().hex, len(YEARS) + 1)
            # 409 enterprise-unknown: finance_match has not yet learnt of the enterprise from the bus.
            response = await self._send(own, write, "POST", f"{FINANCE}/needs", need_body(), retry_conflict=True)
            if response is None:
                return
            write.need_id = str(response.json()["need_id"])
            write = Write("request", uscc, uuid.uuid4().hex, len(YEARS) + 2)
            body = {"category": "financing", "description": f"设备更新贷款对接 {index}"}
            # 404: notifications has not yet learnt of the enterprise from the bus.
            response = await self._send(own, write, "POST", f"{NOTIFICATIONS}/requests", body, retry_unknown=True)
            if response is not None:
                write.request_id = str(response.json()["id"])

    async def run(self, started: asyncio.Event | None = None) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(self.enterprises):
            queue.put_nowait(index)
        limits = httpx.Limits(max_connections=self.workers * 2)
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=15, limits=limits,
                                     headers={"Authorization": f"Bearer {self.admin_key}"}) as admin:  # fmt: skip

            async def worker() -> None:
                while True:
                    try:
                        index = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    await self.one_enterprise(admin, index)

            if started is not None:
                started.set()
            await asyncio.gather(*(worker() for _ in range(self.workers)))
