"""finance_match's own tables: banks and products, the LPR as dated data, its projection of the
enterprises (from registry and eligibility events — it never calls them), financing needs with their
matches and shares (who a need was distributed to, the bank's response and deadline), the feed
banks pull, paired banks with history and change requests, and the webhook tables of
``shared.webhooks``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.events.tables import messaging_tables
from shared.webhooks import webhook_tables


class FinanceMatchTable(SQLModel, registry=registry()):
    pass


metadata = FinanceMatchTable.metadata
messaging = messaging_tables(metadata)
webhooks = webhook_tables(metadata)

_BigId = BigInteger().with_variant(Integer(), "sqlite")


def _money(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Numeric(20, 2), nullable=nullable))


def _rate(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Numeric(6, 2), nullable=nullable))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Bank(FinanceMatchTable, table=True):
    __tablename__ = "bank"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    response_working_days: int = 3
    pairing_capacity: int = 200  # most SRDI enterprises the bank is paired with
    active: bool = True
    created_at: datetime


class Branch(FinanceMatchTable, table=True):
    __tablename__ = "bank_branch"
    __table_args__ = (UniqueConstraint("bank_id", "prefecture_code"),)

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    bank_id: str = Field(foreign_key="bank.id", index=True, max_length=40)
    prefecture_code: str = Field(index=True, max_length=4)
    name: str = Field(max_length=200)
    contact: str = Field(default="", max_length=200)


class LprRate(FinanceMatchTable, table=True):
    """The Loan Prime Rate as published (每月20日): one row per effective date."""

    __tablename__ = "lpr_rate"

    effective_on: date = Field(primary_key=True)
    one_year: Decimal = _rate()
    five_year: Decimal = _rate()


class Product(FinanceMatchTable, table=True):
    __tablename__ = "product"

    id: str = Field(primary_key=True, max_length=40)
    bank_id: str = Field(foreign_key="bank.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    product_type: str = Field(max_length=40)
    description: str = Field(default="", max_length=2000)
    amount_min: Decimal = _money()
    amount_max: Decimal = _money()
    term_min_months: int
    term_max_months: int
    spread_min: Decimal = _rate()  # percentage points over the LPR (may be negative)
    spread_max: Decimal = _rate()
    tiers: list[str] = _json_list()
    prefectures: list[str] = _json_list()
    industries: list[str] = _json_list()
    collateral: list[str] = _json_list()
    response_working_days: int | None = None  # None: the bank's commitment
    # Private to the bank (never shown to other banks):
    internal_notes: str = Field(default="", max_length=2000)
    monthly_quota: Decimal | None = _money(nullable=True)
    active: bool = True
    created_at: datetime
    updated_at: datetime


class EnterpriseView(FinanceMatchTable, table=True):
    """What finance_match knows of an enterprise, from registry and eligibility events."""

    __tablename__ = "enterprise_view"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    prefecture_code: str = Field(index=True, max_length=4)
    county_code: str = Field(max_length=6)
    industry_code: str = Field(max_length=10)
    contact_email: str | None = Field(default=None, max_length=200)
    recognised_tiers: list[str] = _json_list()  # valid recognitions held (registry)
    eligible_tiers: list[str] = _json_list()  # tiers the rules currently find it eligible for (eligibility)
    is_srdi: bool = Field(default=False, index=True)
    first_seen_at: datetime
    updated_at: datetime


class Need(FinanceMatchTable, table=True):
    __tablename__ = "need"

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    prefecture_code: str = Field(index=True, max_length=4)
    state: str = Field(index=True, max_length=20)
    amount: Decimal = _money()
    term_months: int
    purpose: str = Field(max_length=500)
    collateral_offered: list[str] = _json_list()
    product_types: list[str] = _json_list()
    max_rate: Decimal | None = _rate(nullable=True)
    needed_by: date
    consent: str = Field(max_length=30)
    consent_bank_ids: list[str] = _json_list()
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    tier_rank: int = 0
    bank_id: str | None = Field(default=None, index=True, max_length=40)  # the accepting bank
    approved_amount: Decimal | None = _money(nullable=True)
    approved_rate: Decimal | None = _rate(nullable=True)
    approved_term_months: int | None = None
    disbursed_amount: Decimal | None = _money(nullable=True)
    disbursed_on: date | None = None
    decline_reason: str | None = Field(default=None, max_length=40)
    decline_note: str | None = Field(default=None, max_length=500)
    posted_at: datetime = Field(index=True)
    updated_at: datetime
    closed_at: datetime | None = None


class NeedTransition(FinanceMatchTable, table=True):
    __tablename__ = "need_transition"

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    need_id: str = Field(foreign_key="need.id", index=True, max_length=36)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    actor: str = Field(max_length=200)
    bank_id: str | None = Field(default=None, max_length=40)
    at: datetime


class NeedMatch(FinanceMatchTable, table=True):
    """The current ranking of a need (replaced when re-run)."""

    __tablename__ = "need_match"

    need_id: str = Field(foreign_key="need.id", primary_key=True, max_length=36)
    rank: int = Field(primary_key=True)
    product_id: str = Field(max_length=40)
    bank_id: str = Field(index=True, max_length=40)
    score: Decimal = Field(sa_column=Column(Numeric(6, 2), nullable=False))
    rate_from: Decimal = _rate()
    reasons: list[dict[str, Any]] = _json_list()
    matched_at: datetime


class NeedShare(FinanceMatchTable, table=True):
    """A need distributed to one bank: what it may see, when it must respond, how it responded."""

    __tablename__ = "need_share"

    need_id: str = Field(foreign_key="need.id", primary_key=True, max_length=36)
    bank_id: str = Field(primary_key=True, max_length=40)
    why: str = Field(max_length=40)  # top_match | paired_bank | named
    contact_visible: bool = False
    shared_at: datetime
    shared_on: date
    due_on: date = Field(index=True)
    response: str | None = Field(default=None, max_length=20)  # accepted | declined | None
    responded_at: datetime | None = None
    response_working_days: int | None = None
    overdue_at: datetime | None = None


class FeedEntry(FinanceMatchTable, table=True):
    """One change a bank's feed shows (its id is the cursor): a need shared with it, or a shared
    need's state changed."""

    __tablename__ = "feed_entry"

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    bank_id: str = Field(index=True, max_length=40)
    need_id: str = Field(max_length=36)
    kind: str = Field(max_length=40)
    state: str = Field(max_length=20)
    created_at: datetime


class Pairing(FinanceMatchTable, table=True):
    __tablename__ = "pairing"

    uscc: str = Field(primary_key=True, max_length=18)
    bank_id: str = Field(index=True, max_length=40)
    prefecture_code: str = Field(index=True, max_length=4)
    assigned_at: datetime
    reason: str = Field(max_length=40)  # balanced | change_request | override


class PairingHistory(FinanceMatchTable, table=True):
    __tablename__ = "pairing_history"

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    uscc: str = Field(index=True, max_length=18)
    bank_id: str = Field(max_length=40)
    previous_bank_id: str | None = Field(default=None, max_length=40)
    reason: str = Field(max_length=40)
    note: str = Field(default="", max_length=500)
    actor: str = Field(max_length=200)
    at: datetime


class PairingChangeRequest(FinanceMatchTable, table=True):
    __tablename__ = "pairing_change_request"

    id: int | None = Field(default=None, sa_column=Column(_BigId, primary_key=True, autoincrement=True))
    uscc: str = Field(index=True, max_length=18)
    requested_by: str = Field(max_length=20)  # enterprise | bank
    requester: str = Field(max_length=200)
    current_bank_id: str = Field(max_length=40)
    preferred_bank_id: str | None = Field(default=None, max_length=40)
    reason: str = Field(max_length=500)
    status: str = Field(default="open", max_length=20)  # open | granted | refused
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = None
    created_at: datetime
