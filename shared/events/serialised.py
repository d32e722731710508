"""Envelopes written as JSON straight from their typed events, for bulk changes (an import batch):
the outbox stores the text as is, so no ``Envelope`` model is built per event.

``serialise_batch`` gives the same bytes ``event.to_envelope(traceparent).model_dump_json()`` gives
(with the batch's id and time): the envelope's own attributes are serialised by pydantic once per
event type, as a template, and only the id and the subject are filled in per event — both plain
ASCII (a UUID, a credit code), which JSON writes as they are; a subject that is not is serialised
in full. ``tests/unit/shared/test_serialised_envelopes.py`` holds the two equal.

The JSON stays UTF-8 bytes from the serialiser to the outbox's COPY (``UnitOfWork``): a batch's
envelopes are some 2.5 kB each, mostly Chinese text, and decoding them to ``str`` only to encode them
again cost more than writing them (measured on 100,000: about a second of the import's CPU).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.events.catalogue.base import IntegrationEvent
from shared.events.envelope import Envelope


@dataclass(frozen=True, slots=True)
class SerialisedEnvelope:
    """What the outbox keeps of an envelope: its id, type and subject (the partition key), and its JSON
    (UTF-8)."""

    id: str
    type: str
    subject: str
    json: bytes

    def model_dump_json(self) -> str:
        return self.json.decode()


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event already serialised where it was made (an import's reader, ahead of the writer):
    its class (type and source), its subject and its JSON (``event.model_dump_json()``, UTF-8)."""

    kind: type[IntegrationEvent]
    subject: str
    data: bytes

    @classmethod
    def of(cls, event: IntegrationEvent) -> PreparedEvent:
        return cls(type(event), str(getattr(event, event.SUBJECT_FIELD)), _json(event))


def _json(event: IntegrationEvent) -> bytes:
    """``event.model_dump_json().encode()``, from pydantic's serialiser without the round trip through str."""
    return event.__pydantic_serializer__.to_json(event)


_ID, _SUBJECT = "00000000-0000-4000-8000-000000000000", "SUBJECT"
_SAFE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.:")


def serialise_batch(events: Sequence[IntegrationEvent | PreparedEvent],
                    traceparent: str | None = None) -> list[SerialisedEnvelope]:  # fmt: skip
    """The envelopes of a batch's events, stamped with one time."""
    now = datetime.now(UTC)
    ids = _uuid4s(len(events))
    templates: dict[tuple[str, str], tuple[bytes, bytes, bytes]] = {}
    envelopes = []
    for index, event in enumerate(events):
        if isinstance(event, PreparedEvent):
            kind, subject, body = event.kind, event.subject, event.data
        else:
            kind, subject, body = type(event), str(getattr(event, event.SUBJECT_FIELD)), _json(event)
        source = f"/srdi/{kind.SOURCE}"
        event_id = ids[index]
        if _SAFE.issuperset(subject):
            template = templates.get((source, kind.TYPE))
            if template is None:
                shape = _head(_ID, source, kind.TYPE, _SUBJECT, now, traceparent)
                before, _, after = shape.partition(f'"{_ID}"')
                middle, _, end = after.partition(f'"{_SUBJECT}"')
                template = templates[(source, kind.TYPE)] = (f'{before}"'.encode(), f'"{middle}"'.encode(),
                                                              f'"{end},"data":'.encode())  # fmt: skip
            opening, between, closing = template
            data = b"".join((opening, event_id.encode(), between, subject.encode(), closing, body, b"}"))
        else:
            head = _head(event_id, source, kind.TYPE, subject, now, traceparent)
            data = b"".join((head.encode(), b',"data":', body, b"}"))
        envelopes.append(SerialisedEnvelope(event_id, kind.TYPE, subject, data))
    return envelopes


def _uuid4s(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as ``str(uuid.uuid4())`` writes them: one system call for
    the batch, their version and variant bits set a column at a time (``uuid.UUID`` per id cost more
    than the rest of an envelope's head)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(byte & 0x0F | 0x40 for byte in raw[6::16])
    raw[8::16] = bytes(byte & 0x3F | 0x80 for byte in raw[8::16])
    digits = raw.hex()
    return [f"{digits[at:at + 8]}-{digits[at + 8:at + 12]}-{digits[at + 12:at + 16]}-{digits[at + 16:at + 20]}-"
            f"{digits[at + 20:at + 32]}" for at in range(0, 32 * count, 32)]  # fmt: skip


def _head(event_id: str, source: str, kind: str, subject: str, now: datetime, traceparent: str | None) -> str:
    """The envelope's JSON without ``data`` and without its closing brace."""
    shape = Envelope.model_construct(id=event_id, source=source, type=kind, subject=subject, time=now,
                                     traceparent=traceparent, data={})  # fmt: skip
    return shape.model_dump_json(exclude={"data"})[:-1]
