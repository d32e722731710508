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
    scopes: str = Field(default="", max_length=200)  # purpose scopes, space-separated (shared.identity.SCOPES)
    created_at: datetime
    revoked_at: datetime | None = None
