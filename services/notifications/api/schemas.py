"""Request bodies (I/O schemas, apart from the tables)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.notifications.domain.requests import CATEGORIES, RECORD_KINDS
from services.notifications.domain.rules import CHANNELS
from shared.text import CLEAN, CLEAN_MULTILINE, TRIMMED, TRIMMED_MULTILINE

Channel = Literal["inbox", "email", "sms", "webhook"]
assert set(CHANNELS) == {"inbox", "email", "sms", "webhook"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficerIn(Strict):
    id: Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"), TRIMMED, CLEAN]
    name: Annotated[str, StringConstraints(min_length=1, max_length=100), TRIMMED, CLEAN]
    organisation: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]
    prefecture_code: Annotated[str, StringConstraints(pattern=r"^53\d{2}$"), TRIMMED, CLEAN]
    phone: Annotated[str, StringConstraints(max_length=40), TRIMMED, CLEAN] = Field(default="")
    email: Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN] = Field(default="")
    capacity: int = Field(default=100, ge=1, le=10_000)


class OfficerPatch(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100), TRIMMED, CLEAN] | None = Field(default=None)
    organisation: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN] | None = Field(
        default=None
    )
    phone: Annotated[str, StringConstraints(max_length=40), TRIMMED, CLEAN] | None = Field(default=None)
    email: Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN] | None = Field(default=None)
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    active: bool | None = None


class OverrideIn(Strict):
    officer_id: Annotated[str, StringConstraints(min_length=1, max_length=64), TRIMMED, CLEAN]
    reason: Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN] = Field(default="override")


class PreferenceIn(Strict):
    channels: dict[str, list[Channel]] = Field(default_factory=dict, max_length=20)
    quiet_hours: bool = True
    email: Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN] | None = Field(default=None)
    phone: Annotated[str, StringConstraints(max_length=40), TRIMMED, CLEAN] | None = Field(default=None)


class WebhookIn(Strict):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://"), TRIMMED, CLEAN]
    description: Annotated[str, StringConstraints(max_length=500), TRIMMED_MULTILINE, CLEAN_MULTILINE] = Field(
        default=""
    )


class ThreadIn(Strict):
    uscc: Annotated[str, StringConstraints(min_length=18, max_length=18), TRIMMED, CLEAN]
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000), TRIMMED_MULTILINE, CLEAN_MULTILINE]


class PostIn(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000), TRIMMED_MULTILINE, CLEAN_MULTILINE]


class RequestIn(Strict):
    uscc: Annotated[str, StringConstraints(min_length=18, max_length=18), TRIMMED, CLEAN] | None = Field(default=None)
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    description: Annotated[str, StringConstraints(min_length=1, max_length=5_000), TRIMMED_MULTILINE, CLEAN_MULTILINE]


class TransitionIn(Strict):
    action: Literal["accept", "resolve", "close"]
    resolution: Annotated[str, StringConstraints(max_length=5_000), TRIMMED_MULTILINE, CLEAN_MULTILINE] | None = Field(
        default=None
    )
    rating: int | None = Field(default=None, ge=1, le=5, description="satisfaction 1–5, when closing")


class RecordIn(Strict):
    uscc: Annotated[str, StringConstraints(min_length=18, max_length=18), TRIMMED, CLEAN]
    kind: Literal[RECORD_KINDS]  # type: ignore[valid-type]
    served_on: date
    notes: Annotated[str, StringConstraints(max_length=5_000), TRIMMED_MULTILINE, CLEAN_MULTILINE] = Field(default="")
