"""Envelopes written as JSON straight from their typed events, for bulk changes (an import batch):
the outbox stores the text as is, so no ``Envelope`` model is built per event.

``serialise_batch`` gives the same bytes ``event.to_envelope(traceparent).model_dump_json()`` gives
(with the batch's id and time): the envelope's own attributes are serialised by pydantic once per
event type, as a template, and only the id and the subject are filled in per event — both plain
ASCII (a UUID, a credit code), which JSON writes as they are; a subject that is not is serialised
in full. ``tests/unit/shared/test_serialised_envelopes.py`` holds the two equal.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.events.catalogue.base import IntegrationEvent
from shared.events.envelope import Envelope


@dataclass(frozen=True, slots=True)
class SerialisedEnvelope:
    """What the outbox keeps of an envelope: its id, type and subject (the partition key), and its JSON."""

    id: str
    type: str
    subject: str
    json: str

    def model_dump_json(self) -> str:
        return self.json


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event already serialised where it was made (an import's reader, ahead of the writer):
    its class (type and source), its subject and its JSON (``event.model_dump_json()``)."""

    kind: type[IntegrationEvent]
    subject: str
    data: str

    @classmethod
    def of(cls, event: IntegrationEvent) -> PreparedEvent:
        return cls(type(event), str(getattr(event, event.SUBJECT_FIELD)), event.model_dump_json())


_ID, _SUBJECT = "00000000-0000-4000-8000-000000000000", "SUBJECT"
_SAFE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.:")


def serialise_batch(events: Sequence[IntegrationEvent | PreparedEvent],
                    traceparent: str | None = None) -> list[SerialisedEnvelope]:  # fmt: skip
    """The envelopes of a batch's events, stamped with one time."""
    now = datetime.now(UTC)
    ids = os.urandom(16 * len(events))  # one system call for the batch's ids
    templates: dict[tuple[str, str], tuple[str, str, str]] = {}
    envelopes = []
    for index, event in enumerate(events):
        if isinstance(event, PreparedEvent):
            kind, subject, body = event.kind, event.subject, event.data
        else:
            kind, subject, body = type(event), str(getattr(event, event.SUBJECT_FIELD)), event.model_dump_json()
        source = f"/srdi/{kind.SOURCE}"
        event_id = str(uuid.UUID(bytes=ids[16 * index : 16 * index + 16], version=4))
        if _SAFE.issuperset(subject):
            template = templates.get((source, kind.TYPE))
            if template is None:
                shape = _head(_ID, source, kind.TYPE, _SUBJECT, now, traceparent)
                before, _, after = shape.partition(f'"{_ID}"')
                middle, _, end = after.partition(f'"{_SUBJECT}"')
                template = templates[(source, kind.TYPE)] = (f'{before}"', f'"{middle}"', f'"{end}')
            opening, between, closing = template
            head = f"{opening}{event_id}{between}{subject}{closing}"
        else:
            head = _head(event_id, source, kind.TYPE, subject, now, traceparent)
        envelopes.append(SerialisedEnvelope(event_id, kind.TYPE, subject, f'{head},"data":{body}}}'))
    return envelopes


def _head(event_id: str, source: str, kind: str, subject: str, now: datetime, traceparent: str | None) -> str:
    """The envelope's JSON without ``data`` and without its closing brace."""
    shape = Envelope.model_construct(id=event_id, source=source, type=kind, subject=subject, time=now,
                                     traceparent=traceparent, data={})  # fmt: skip
    return shape.model_dump_json(exclude={"data"})[:-1]
