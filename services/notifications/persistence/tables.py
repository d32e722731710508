"""The notifications service's tables: its projection of the register, the officer roster and the
assignments (with history), messages and their per-channel deliveries, preferences, digest windows,
and the exchange (threads, service requests, service records)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.events.tables import messaging_tables
from shared.webhooks import webhook_tables


class NotificationsTable(SQLModel, registry=registry()):
    pass


metadata = NotificationsTable.metadata
messaging = messaging_tables(metadata)
# Recipients' webhook subscriptions and the signed deliveries (shared with finance_match: shared/webhooks.py).
webhooks = webhook_tables(metadata)


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: default.copy(), sa_column=Column(JSON, nullable=False))


class EnterpriseView(NotificationsTable, table=True):
    """What notifications knows of an enterprise, from the registry's snapshots."""

    __tablename__ = "enterprise_view"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    prefecture_code: str = Field(index=True, max_length=4)
    contact_email: str | None = Field(default=None, max_length=200)
    srdi: bool = Field(default=False, index=True)  # holds a valid SRDI-SME (or higher) recognition
    recognitions: list[dict[str, Any]] = _json([])
    snapshot_version: int = 0
    updated_at: datetime


class Officer(NotificationsTable, table=True):
    """A one-to-one service officer (助企服务员) on the roster."""

    __tablename__ = "officer"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    organisation: str = Field(max_length=200)
    prefecture_code: str = Field(index=True, max_length=4)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    capacity: int = 100
    active: bool = True
    created_at: datetime


class Assignment(NotificationsTable, table=True):
    """One officer serving one enterprise over a period; the open row (ended_at NULL) is the active one."""

    __tablename__ = "assignment"
    __table_args__ = (
        Index(
            "ux_assignment_active",
            "uscc",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(index=True, max_length=18)
    officer_id: str = Field(index=True, max_length=64)
    prefecture_code: str = Field(max_length=4)
    reason: str = Field(max_length=40)  # auto | override | prefecture_changed | officer_inactive
    assigned_by: str = Field(max_length=200)
    assigned_at: datetime
    ended_at: datetime | None = None


class Message(NotificationsTable, table=True):
    """One notice to one recipient (an inbox item); at most one per (event, recipient)."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("event_id", "recipient", name="ux_message_event_recipient"),)

    id: str = Field(primary_key=True, max_length=36)
    recipient: str = Field(index=True, max_length=100)  # role:tenant, e.g. officer:officer-001
    category: str = Field(max_length=40)
    rule_id: str = Field(max_length=60)
    event_id: str = Field(max_length=100)
    event_type: str = Field(max_length=200)
    uscc: str | None = Field(default=None, index=True, max_length=18)
    title: str = Field(max_length=300)
    title_zh: str = Field(max_length=300)
    body: str
    body_zh: str
    critical: bool = False
    created_at: datetime = Field(index=True)
    read_at: datetime | None = None
    archived_at: datetime | None = None


class Delivery(NotificationsTable, table=True):
    """A message on one channel: queued → sent → delivered (→ read), or failed → retried → dead."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("message_id", "channel", name="ux_delivery_message_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(index=True, max_length=36)
    recipient: str = Field(max_length=100)
    channel: str = Field(max_length=20)  # inbox | email | sms | webhook
    address: str | None = Field(default=None, max_length=500)
    status: str = Field(index=True, max_length=20)  # queued | sent | delivered | failed | read | dead
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, index=True)
    last_error: str | None = None
    detail: str | None = Field(default=None, max_length=300)  # e.g. "logged only: no SMS provider"
    created_at: datetime
    updated_at: datetime


class Preference(NotificationsTable, table=True):
    """A recipient's choices: channels per category, quiet hours, addresses (webhooks: a subscription)."""

    __tablename__ = "preference"

    recipient: str = Field(primary_key=True, max_length=100)
    channels: dict[str, Any] = _json({})  # category → [channels]; a missing category uses the rule's
    quiet_hours: bool = True  # nothing but the inbox outside working hours and on non-working days
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    updated_at: datetime


class DigestWindow(NotificationsTable, table=True):
    """Events of one rule for one recipient within one window, beyond the burst threshold."""

    __tablename__ = "digest_window"

    recipient: str = Field(primary_key=True, max_length=100)
    rule_id: str = Field(primary_key=True, max_length=60)
    window_start: datetime = Field(primary_key=True)
    count: int = 0
    digested: int = 0
    items: list[dict[str, Any]] = _json([])
    flushed_at: datetime | None = Field(default=None, index=True)


class Thread(NotificationsTable, table=True):
    __tablename__ = "thread"

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    officer_id: str | None = Field(default=None, index=True, max_length=64)
    prefecture_code: str = Field(index=True, max_length=4)
    subject: str = Field(max_length=200)
    created_at: datetime
    updated_at: datetime


class ThreadPost(NotificationsTable, table=True):
    __tablename__ = "thread_post"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: str = Field(index=True, max_length=36)
    author_role: str = Field(max_length=40)
    author: str = Field(max_length=200)
    body: str
    created_at: datetime


class ServiceRequest(NotificationsTable, table=True):
    """An enterprise's request (企业诉求): submitted → accepted → resolved → closed."""

    __tablename__ = "service_request"

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    officer_id: str | None = Field(default=None, index=True, max_length=64)
    prefecture_code: str = Field(index=True, max_length=4)
    category: str = Field(max_length=40)
    description: str
    status: str = Field(index=True, max_length=20)
    deadline: date
    submitted_at: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str | None = None
    rating: int | None = None
    escalated_at: datetime | None = None


class ServiceRecord(NotificationsTable, table=True):
    """A service given: visit, call, training or diagnosis (走访、电话、培训、诊断)."""

    __tablename__ = "service_record"

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    officer_id: str = Field(index=True, max_length=64)
    prefecture_code: str = Field(index=True, max_length=4)
    kind: str = Field(max_length=20)
    served_on: date = Field(index=True)
    notes: str = ""
    created_at: datetime
