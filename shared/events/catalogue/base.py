"""The base of every integration event (the catalogue's modules each hold one producer's events).

Producers build these and emit them through the unit of work; consumers read ``envelope.data`` back
with the same model. The AsyncAPI document under ``docs/`` is generated from this module
(``python -m shared.events.asyncapi``), and a unit test fails when the two drift apart.
A breaking change to an event means a new ``.v2`` type beside the old one, never an edit in place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import Envelope


class IntegrationEvent(BaseModel):
    """Base of every event. ``TYPE`` is the CloudEvents type; ``SUBJECT_FIELD`` names the field
    whose value becomes the envelope subject (and so the partition key)."""

    TYPE: ClassVar[str]
    SOURCE: ClassVar[str]
    SUMMARY: ClassVar[str] = ""
    SUBJECT_FIELD: ClassVar[str] = "uscc"

    model_config = ConfigDict(frozen=True)

    def to_envelope(self, traceparent: str | None = None) -> Envelope:
        return Envelope(
            source=f"/srdi/{self.SOURCE}",
            type=self.TYPE,
            subject=str(getattr(self, self.SUBJECT_FIELD)),
            traceparent=traceparent,
            data=self.model_dump(mode="json"),
        )

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> Any:
        return cls.model_validate(envelope.data)
