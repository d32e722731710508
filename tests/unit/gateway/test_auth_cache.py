"""The credential cache on its own: keyed by a digest, bounded, short-lived, never past the
credential's expiry, dropped by a new generation, and not trusted when the generation is unknown."""

from __future__ import annotations

import pytest

from services.gateway.auth_cache import AuthCache, GenerationUnavailable, LocalGeneration, credential_digest
from tests.support.waiting import eventually


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyGeneration(LocalGeneration):
    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def current(self) -> str:
        if self.down:
            raise GenerationUnavailable("down")
        return await super().current()

    async def bump(self) -> None:
        if self.down:
            raise GenerationUnavailable("down")
        await super().bump()


def test_the_digest_is_not_the_credential() -> None:
    key = "srdi_abcd1234_secret"
    assert key not in credential_digest(key) and len(credential_digest(key)) == 64
    assert credential_digest(key) == credential_digest(key) != credential_digest(key + "x")


async def test_an_entry_lives_for_the_ttl_or_until_the_credential_expires_whichever_is_first() -> None:
    clock = Clock()
    cache: AuthCache[str] = AuthCache(LocalGeneration(), ttl_seconds=10, max_entries=10, clock=clock)
    generation = await cache.generation()
    cache.put("long", generation, "L")
    cache.put("short", generation, "S", expires_in=3)
    cache.put("expired", generation, "E", expires_in=-1)
    assert cache.get("long", generation) == "L" and cache.get("short", generation) == "S"
    assert cache.get("expired", generation) is None
    clock.now += 3
    assert cache.get("short", generation) is None and cache.get("long", generation) == "L"
    clock.now += 7
    assert cache.get("long", generation) is None


async def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache: AuthCache[int] = AuthCache(LocalGeneration(), ttl_seconds=60, max_entries=2)
    generation = await cache.generation()
    cache.put("a", generation, 1)
    cache.put("b", generation, 2)
    assert cache.get("a", generation) == 1  # a is now the most recent
    cache.put("c", generation, 3)
    assert len(cache) == 2
    assert cache.get("b", generation) is None
    assert cache.get("a", generation) == 1 and cache.get("c", generation) == 3


async def test_a_new_generation_drops_what_was_read_under_the_old_one() -> None:
    source = LocalGeneration()
    reader: AuthCache[str] = AuthCache(source, ttl_seconds=60, max_entries=10)
    writer: AuthCache[str] = AuthCache(source, ttl_seconds=60, max_entries=10)  # another replica
    before = await reader.generation()
    reader.put("k", before, "v")
    await writer.invalidate()
    after = await reader.generation()
    assert after != before
    assert reader.get("k", after) is None


async def test_an_unknown_generation_trusts_nothing_and_forgets_everything() -> None:
    source = FlakyGeneration()
    cache: AuthCache[str] = AuthCache(source, ttl_seconds=60, max_entries=10)
    generation = await cache.generation()
    cache.put("k", generation, "v")
    source.down = True
    assert await cache.generation() is None
    assert cache.get("k", None) is None
    cache.put("k", None, "v")  # a lookup made while the generation was unknown is not kept
    source.down = False
    assert len(cache) == 0 and cache.get("k", await cache.generation()) is None


async def test_a_revocation_that_cannot_be_published_is_retried_until_it_is() -> None:
    source = FlakyGeneration()
    cache: AuthCache[str] = AuthCache(source, ttl_seconds=60, max_entries=10)
    before = await cache.generation()
    cache.put("k", before, "v")
    source.down = True
    await cache.invalidate()  # never raises: the change itself has committed
    assert cache.bump_pending and len(cache) == 0
    source.down = False

    async def pending() -> bool:
        return cache.bump_pending

    await eventually(pending, lambda value: not value, timeout=5, what="the delayed bump")
    assert await cache.generation() != before
    await cache.aclose()


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (10, 0)])
async def test_a_zero_ttl_or_size_turns_the_cache_off(ttl: float, size: int) -> None:
    cache: AuthCache[str] = AuthCache(LocalGeneration(), ttl_seconds=ttl, max_entries=size)
    generation = await cache.generation()
    cache.put("k", generation, "v")
    assert cache.get("k", generation) is None


async def test_peek_tells_whose_credential_it_is_before_the_generation_is_known_but_not_past_its_deadline() -> None:
    clock = Clock()
    source = LocalGeneration()
    cache: AuthCache[str] = AuthCache(source, ttl_seconds=5, max_entries=10, clock=clock)
    cache.put("k", await cache.generation(), "v")
    await source.bump()  # revoked meanwhile: peek still says whose it was, get refuses it
    assert cache.peek("k") == "v"
    assert cache.get("k", await cache.generation()) is None
    cache.put("k", await cache.generation(), "v")
    clock.now += 5
    assert cache.peek("k") is None
