"""Rate limits with the `limits` library: moving windows, in Redis in the distributed mode (so every
gateway replica sees the same counts) and in memory in the embedded mode.

Buckets: per credential (key, client or user), per client address for anonymous calls, the public
``evaluate`` endpoint per address, and failed authentications — per address (a brute force of bad
keys is refused before any key is even looked up) and per user name (failed log-ins).
An exceeded limit answers 429 problem+json with ``Retry-After``.

When Redis does not answer (fast: half a second, one retry) the replica counts in memory until it
does — limits per replica for the outage rather than a gateway that refuses everyone; /readyz names
``redis`` meanwhile.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from services.gateway.config import GatewaySettings
from shared.problems import Problem

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Rules:
    per_key: RateLimitItem
    per_address: RateLimitItem
    evaluate: RateLimitItem
    auth_failures: RateLimitItem
    login_failures: RateLimitItem


class RateLimits:
    def __init__(self, settings: GatewaySettings) -> None:
        self.storage: Storage
        self.fallback: MovingWindowRateLimiter | None = None
        if settings.gateway_redis_url:
            options: dict[str, Any] = {
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "retry": Retry(NoBackoff(), 1),
            }
            self.storage = RedisStorage(
                settings.gateway_redis_url, implementation="redispy", key_prefix=settings.gateway_rate_limit_namespace,
                wrap_exceptions=True, **options,
            )  # fmt: skip
            self.fallback = MovingWindowRateLimiter(MemoryStorage())
        else:
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._warned_at = 0.0
        self.rules = Rules(
            per_key=parse(settings.gateway_rate_limit_per_key),
            per_address=parse(settings.gateway_rate_limit_per_address),
            evaluate=parse(settings.gateway_rate_limit_evaluate),
            auth_failures=parse(settings.gateway_rate_limit_auth_failures),
            login_failures=parse(settings.gateway_rate_limit_login_failures),
        )

    def _degraded(self, error: Exception) -> MovingWindowRateLimiter:
        if self.fallback is None:
            raise error
        now = time.monotonic()
        if now - self._warned_at > 10:
            self._warned_at = now
            log.warning("rate limits: Redis unavailable (%s); counting in this replica's memory meanwhile", error)
        return self.fallback

    async def _hit(self, item: RateLimitItem, bucket: str, identifier: str) -> bool:
        try:
            return await self.limiter.hit(item, bucket, identifier)
        except StorageError as error:
            return await self._degraded(error).hit(item, bucket, identifier)

    async def _test(self, item: RateLimitItem, bucket: str, identifier: str) -> bool:
        try:
            return await self.limiter.test(item, bucket, identifier)
        except StorageError as error:
            return await self._degraded(error).test(item, bucket, identifier)

    async def hit(self, item: RateLimitItem, bucket: str, identifier: str) -> None:
        """Count one call; refuse it with 429 when the window is full."""
        if not await self._hit(item, bucket, identifier):
            raise await self._too_many(item, bucket, identifier)

    async def check(self, item: RateLimitItem, bucket: str, identifier: str) -> None:
        """Refuse with 429 when the window is already full, without counting this call."""
        if not await self._test(item, bucket, identifier):
            raise await self._too_many(item, bucket, identifier)

    async def count(self, item: RateLimitItem, bucket: str, identifier: str) -> None:
        """Count one event (a failure) without refusing anything now."""
        await self._hit(item, bucket, identifier)

    async def _too_many(self, item: RateLimitItem, bucket: str, identifier: str) -> Problem:
        try:
            stats = await self.limiter.get_window_stats(item, bucket, identifier)
        except StorageError as error:
            stats = await self._degraded(error).get_window_stats(item, bucket, identifier)
        retry_after = str(max(1, math.ceil(stats.reset_time - time.time())))
        return Problem(
            429, "rate-limited", "Too many requests", "请求过于频繁",
            detail=f"limit {item} for {bucket}; retry after {retry_after}s",
            detail_zh=f"已超过限额 {item}，请 {retry_after} 秒后再试", headers={"Retry-After": retry_after},
        )  # fmt: skip

    async def healthy(self) -> bool:
        try:
            return bool(await self.storage.check())
        except Exception:
            return False
