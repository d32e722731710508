"""The one envelope every event travels in: CloudEvents 1.0 attributes, JSON (structured mode).

``type`` carries the version (``srdi.registry.enterprise.registered.v1``); ``subject`` is the
enterprise's credit code and doubles as the Kafka partition key, so one enterprise's events stay in
order. ``traceparent`` is the CloudEvents distributed-tracing extension.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=_now)
    datacontenttype: str = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def partition_key(self) -> str:
        return self.subject

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate(json.loads(raw))


def topic_for_source(service: str) -> str:
    """Each producing service has one topic; a consumer subscribes to the producers it needs."""
    return f"srdi.{service}.events"


def dead_letter_topic(consumer: str) -> str:
    return f"srdi.{consumer}.dlq"
