"""Request bodies (I/O schemas, apart from the tables)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.domain.requests import CATEGORIES, RECORD_KINDS
from services.notifications.domain.rules import CHANNELS

Channel = Literal["inbox", "email", "sms", "webhook"]
assert set(CHANNELS) == {"inbox", "email", "sms", "webhook"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficerIn(Strict):
    id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=200)
    prefecture_code: str = Field(pattern=r"^53\d{2}$")
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    capacity: int = Field(default=100, ge=1, le=10_000)


class OfficerPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    organisation: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    active: bool | None = None


class OverrideIn(Strict):
    officer_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="override", max_length=200)


class PreferenceIn(Strict):
    channels: dict[str, list[Channel]] = Field(default_factory=dict, max_length=20)
    quiet_hours: bool = True
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class WebhookIn(Strict):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    description: str = Field(default="", max_length=500)


class ThreadIn(Strict):
    uscc: str = Field(min_length=18, max_length=18)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class PostIn(Strict):
    body: str = Field(min_length=1, max_length=10_000)


class RequestIn(Strict):
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    description: str = Field(min_length=1, max_length=5_000)


class TransitionIn(Strict):
    action: Literal["accept", "resolve", "close"]
    resolution: str | None = Field(default=None, max_length=5_000)
    rating: int | None = Field(default=None, ge=1, le=5, description="satisfaction 1–5, when closing")


class RecordIn(Strict):
    uscc: str = Field(min_length=18, max_length=18)
    kind: Literal[RECORD_KINDS]  # type: ignore[valid-type]
    served_on: date
    notes: str = Field(default="", max_length=5_000)
