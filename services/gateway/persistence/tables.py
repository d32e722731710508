"""The gateway's own tables (its database holds nothing of the other services)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.events.tables import messaging_tables


class GatewayTable(SQLModel, registry=registry()):
    pass


metadata = GatewayTable.metadata
messaging = messaging_tables(metadata)


class ApiKey(GatewayTable, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(index=True, unique=True, max_length=16)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=40)
    tenant: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime
    revoked_at: datetime | None = None
    # Space-separated scopes. Access scopes ("registry:read eligibility:write integration:read") limit what the
    # key may do — none of them = the role's full reach; purpose scopes (shared.identity.SCOPES, e.g.
    # "contact_data") grant more of the data the role may read and travel to services in the signed identity.
    scopes: str | None = Field(default=None, max_length=500)
    expires_at: datetime | None = None
    # Rotation: the old key keeps working until its expires_at (the overlap window), then stops.
    replaced_by: str | None = Field(default=None, max_length=16)


class GatewayUser(GatewayTable, table=True):
    """A person who logs in (operators, officers, enterprise users, bank staff); argon2id hash only."""

    __tablename__ = "gateway_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=100)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=40)
    tenant: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime
    disabled_at: datetime | None = None


class AuditEntry(GatewayTable, table=True):
    """Every write through the gateway: who, which tenant, what, when, under which request id."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    subject: str = Field(max_length=100)
    role: str | None = Field(default=None, max_length=40)
    tenant: str | None = Field(default=None, max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    status: int
    request_id: str = Field(max_length=64)
    client: str | None = Field(default=None, max_length=64)


class TierChange(GatewayTable, table=True):
    """The integration feed: ``srdi.eligibility.tier_changed.v1`` as consumed, in feed order (``seq``)."""

    __tablename__ = "tier_change"

    seq: int = Field(primary_key=True)
    event_id: str = Field(unique=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    tier: str = Field(max_length=40)
    eligible: bool
    previously_eligible: bool | None = None
    rule_set: str = Field(max_length=100)
    assessment_id: str = Field(max_length=64)
    prefecture_code: str = Field(max_length=8)
    occurred_at: datetime
    recorded_at: datetime


class FeedCounter(GatewayTable, table=True):
    """One row per feed; its update takes a row lock held to commit, so ``seq`` order is commit order
    (a reader resuming "after seq N" never skips a row that committed late)."""

    __tablename__ = "feed_counter"

    feed: str = Field(primary_key=True, max_length=40)
    value: int = 0
