"""Authenticated credentials, cached in the gateway process and revoked on every replica at once.

A request presenting a credential the gateway has already checked is answered from memory: the
cache is keyed by the SHA-256 of the presented credential (never the credential itself), holds at
most ``max_entries`` (least recently used out first) for at most ``ttl_seconds`` — and never past
the credential's own expiry.

Revocation is instant because every entry carries the *revocation generation* it was read under,
and the generation is read again on every request:

- distributed mode (a Redis URL is set): the generation is a random token in Redis, one ``GET``
  per request. Whatever changes who a credential belongs to or whether it is usable (revoke,
  rotate, disable a user) commits to the database, then writes a new token; the next request on
  every replica sees a different generation, misses, and reads the database. A random token,
  not a counter: a Redis that restarted empty gets a new token, never an old one back.
- embedded mode: the same with an in-process counter (one process is every replica).

Fail closed: when the generation cannot be read (Redis down or slow), the cache is not trusted —
the request is authenticated against the database and this replica drops its entries, so nothing
validated before the outage is served after it. When a new generation cannot be written, the
replica that made the change drops its own entries and keeps retrying the write in the
background; until it lands, a replica that saw no Redis failure may serve a cached entry for at
most ``ttl_seconds`` — the bound of the worst case.

The generation must be read *before* the database (``generation()`` then the lookup then
``put``): a lookup that raced a revocation is then stored under the old generation and dropped on
the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)
T = TypeVar("T")
# Redis calls on the hot path give up fast: one immediate retry (a pooled connection that went
# stale when Redis restarted), half a second per attempt — then the database decides.
REDIS_TIMEOUT_SECONDS = 0.5
BUMP_RETRY_SECONDS = 0.5


def fast_failing_redis(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


class GenerationUnavailable(Exception):
    """The revocation generation could not be read or written (Redis did not answer)."""


class Generation(Protocol):
    async def current(self) -> str: ...

    async def bump(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalGeneration:
    """Embedded mode: one process, one counter."""

    def __init__(self) -> None:
        self._value = 0

    async def current(self) -> str:
        return str(self._value)

    async def bump(self) -> None:
        self._value += 1

    async def aclose(self) -> None:
        return None


class RedisGeneration:
    """Distributed mode: a random token under ``<namespace>:gateway:auth-generation``."""

    def __init__(self, url: str, namespace: str) -> None:
        self.key = f"{namespace}:gateway:auth-generation"
        self._redis = fast_failing_redis(url)

    async def current(self) -> str:
        try:
            value = await self._redis.get(self.key)
            if value is None:  # first use, or a Redis that lost its data: a token never seen before
                await self._redis.set(self.key, secrets.token_hex(16), nx=True)
                value = await self._redis.get(self.key)
        except Exception as error:  # redis errors, timeouts, a closed socket: all mean "unknown"
            raise GenerationUnavailable(str(error)) from error
        if value is None:
            raise GenerationUnavailable("the generation key vanished")
        return value.decode() if isinstance(value, bytes) else str(value)

    async def bump(self) -> None:
        try:
            await self._redis.set(self.key, secrets.token_hex(16))
        except Exception as error:
            raise GenerationUnavailable(str(error)) from error

    async def healthy(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    generation: str
    deadline: float  # on the cache's clock (time.monotonic)


def credential_digest(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


class AuthCache(Generic[T]):
    def __init__(
        self, generation: Generation, ttl_seconds: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.generation_source = generation
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()
        self._bump_retry: asyncio.Task[None] | None = None
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def generation(self) -> str | None:
        """The current generation, or None when it cannot be known — then nothing cached is trusted
        (and this replica forgets what it held: it may have missed a revocation meanwhile)."""
        if self.ttl_seconds <= 0 or self.max_entries <= 0:
            return None
        try:
            return await self.generation_source.current()
        except GenerationUnavailable as error:
            if self._entries:
                log.warning("auth cache: revocation generation unavailable (%s); authenticating against the "
                            "database and dropping %d cached credentials", error, len(self._entries))  # fmt: skip
            self._entries.clear()
            return None

    def get(self, digest: str, generation: str | None) -> T | None:
        if generation is None:
            return None
        entry = self._entries.get(digest)
        if entry is None:
            self.misses += 1
            return None
        if entry.generation != generation or entry.deadline <= self.clock():
            del self._entries[digest]
            self.misses += 1
            return None
        self._entries.move_to_end(digest)
        self.hits += 1
        return entry.value

    def peek(self, digest: str) -> T | None:
        """What is held for ``digest`` whatever its generation (not yet to be trusted: :meth:`get`
        decides) — to know, before Redis answers, whose credential this is."""
        entry = self._entries.get(digest)
        return entry.value if entry is not None and entry.deadline > self.clock() else None

    def put(self, digest: str, generation: str | None, value: T, expires_in: float | None = None) -> None:
        """Remember ``value`` read under ``generation`` (from :meth:`generation`, taken before the
        lookup); ``expires_in``: seconds until the credential itself expires."""
        if generation is None:
            return
        lifetime = self.ttl_seconds if expires_in is None else min(self.ttl_seconds, expires_in)
        if lifetime <= 0:
            return
        self._entries[digest] = _Entry(value, generation, self.clock() + lifetime)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def invalidate(self) -> None:
        """After a change that committed (revoke, rotate, disable): every replica stops trusting what
        it cached. Never raises: the change itself has happened; a failed write is retried."""
        self._entries.clear()
        try:
            await self.generation_source.bump()
        except GenerationUnavailable as error:
            log.error("auth cache: could not publish a revocation (%s); retrying every %.1fs", error,
                      BUMP_RETRY_SECONDS)  # fmt: skip
            if self._bump_retry is None or self._bump_retry.done():
                self._bump_retry = asyncio.create_task(self._retry_bump(), name="gateway:auth-generation-bump")

    async def _retry_bump(self) -> None:
        while True:
            await asyncio.sleep(BUMP_RETRY_SECONDS)
            self._entries.clear()
            try:
                await self.generation_source.bump()
            except GenerationUnavailable:
                continue
            log.warning("auth cache: the delayed revocation is published")
            return

    @property
    def bump_pending(self) -> bool:
        return self._bump_retry is not None and not self._bump_retry.done()

    async def aclose(self) -> None:
        if self._bump_retry is not None:
            self._bump_retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._bump_retry
        await self.generation_source.aclose()
