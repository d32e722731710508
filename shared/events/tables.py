"""The messaging tables every service carries in its own database.

- ``outbox``: events written in the same transaction as the state change; the relay publishes them.
- ``inbox``: (consumer, event id) of every event a consumer has applied, committed with the effect,
  so a redelivered event has no second effect.
- ``dead_letter``: events whose handler kept failing; listed and replayed by operators.
- ``idempotency_key``: the stored response of a POST carrying an ``Idempotency-Key`` header.

They are attached to each service's own ``MetaData`` so each service's Alembic migrations create them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY columns; BIGINT on PostgreSQL.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    dead_letter: Table
    idempotency_key: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("type", String(200), nullable=False),
        Column("subject", String(100), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_subject_pending", "subject", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("type", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("type", String(200), nullable=False),
        Column("subject", String(100), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("failed_at", DateTime(timezone=True), nullable=False),
        Column("replayed_at", DateTime(timezone=True), nullable=True),
    )
    idempotency_key = Table(
        "idempotency_key",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("principal", String(200), primary_key=True),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response", JSON, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return MessagingTables(outbox, inbox, dead_letter, idempotency_key)
