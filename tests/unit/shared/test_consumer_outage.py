"""A database outage is not a poison: the consumer waits for the database without spending attempts
and never dead-letters a good event; a handler's own error still ends in the dead letters."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.events.consumer import EventConsumer, RetryPolicy, is_unavailable
from shared.events.envelope import Envelope

pytestmark = pytest.mark.asyncio


class Flaky(EventConsumer):
    def __init__(self, failures: list[Exception]) -> None:
        super().__init__("test", ["t"], {"x.v1": []}, lambda: None, None, RetryPolicy(3, 0.001, 0.002))  # type: ignore[arg-type,return-value]
        self.failures, self.applied, self.dead = failures, 0, 0

    async def apply(self, envelope: Envelope) -> bool:
        if self.failures:
            raise self.failures.pop(0)
        self.applied += 1
        return True

    async def _dead_letter(self, envelope: Envelope, error: Exception, attempts: int) -> None:
        self.dead += 1


def outage() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "Connection refused"))


def envelope() -> Envelope:
    return Envelope(source="test", type="x.v1", subject="s", data={})


async def test_ten_outages_in_a_row_do_not_dead_letter_the_event() -> None:
    consumer = Flaky([outage() for _ in range(10)])
    await consumer.deliver(envelope())
    assert (consumer.applied, consumer.dead) == (1, 0)


async def test_a_handler_error_is_still_dead_lettered_after_its_attempts() -> None:
    consumer = Flaky([KeyError("enterprise") for _ in range(3)])
    await consumer.deliver(envelope())
    assert (consumer.applied, consumer.dead) == (0, 1)


async def test_what_counts_as_the_database_being_away() -> None:
    assert is_unavailable(outage())
    assert is_unavailable(ConnectionResetError())
    assert not is_unavailable(KeyError("enterprise"))
    assert not is_unavailable(IntegrityError("INSERT", {}, ValueError("duplicate key")))
