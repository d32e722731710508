"""Request and response schemas of the finance_match API (tables live in persistence/tables.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator

from services.finance_match.domain.vocabulary import TIERS, Collateral, Consent, DeclineReason, ProductType
from shared.money import parse_money
from shared.text import CLEAN, CLEAN_MULTILINE, TRIMMED, TRIMMED_MULTILINE, TRIMMED_NFKC

# parse_money (shared.money): ASCII digits only, no NaN/float rounding; then this API's own bounds.
Money = Annotated[
    Decimal, Field(gt=0, le=Decimal("100000000000"), max_digits=20, decimal_places=2), BeforeValidator(parse_money)
]
# Text as shared.text defines it: trimmed, bounded, no control or invisible characters.
Line = Annotated[str, StringConstraints(max_length=200), TRIMMED, CLEAN]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]
Note = Annotated[str, StringConstraints(max_length=500), TRIMMED_MULTILINE, CLEAN_MULTILINE]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500), TRIMMED_MULTILINE, CLEAN_MULTILINE]
LongNote = Annotated[str, StringConstraints(max_length=2000), TRIMMED_MULTILINE, CLEAN_MULTILINE]
ShortId = Annotated[str, StringConstraints(max_length=40), TRIMMED_NFKC, CLEAN]
Percent = Annotated[Decimal, Field(ge=Decimal("-5"), le=Decimal("36"), max_digits=6, decimal_places=2)]
Prefecture = Annotated[str, Field(pattern=r"^53\d{2}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BranchIn(_In):
    prefecture_code: Prefecture
    name: Name
    contact: Line = ""


class BankIn(_In):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,38}$")
    name: Name
    name_en: Line = ""
    response_working_days: int = Field(default=3, ge=1, le=30)
    pairing_capacity: int = Field(default=200, ge=0, le=100000)
    branches: list[BranchIn] = Field(default_factory=list, max_length=20)


class LprIn(_In):
    effective_on: date
    one_year: Percent
    five_year: Percent


class ProductIn(_In):
    name: Name
    product_type: ProductType
    description: LongNote = ""
    amount_min: Money
    amount_max: Money
    term_min_months: int = Field(ge=1, le=360)
    term_max_months: int = Field(ge=1, le=360)
    spread_min: Percent
    spread_max: Percent
    tiers: list[Annotated[str, StringConstraints(max_length=40)]] = Field(default_factory=list, max_length=4)
    prefectures: list[Prefecture] = Field(default_factory=list, max_length=16)
    industries: list[Annotated[str, Field(pattern=r"^[A-T]\d{0,4}$")]] = Field(default_factory=list, max_length=50)
    collateral: list[Collateral] = Field(default_factory=list, max_length=6)
    response_working_days: int | None = Field(default=None, ge=1, le=30)
    internal_notes: LongNote = ""
    monthly_quota: Money | None = None
    active: bool = True

    @field_validator("tiers")
    @classmethod
    def _known_tiers(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; allowed: {list(TIERS)}")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> ProductIn:
        if self.amount_min > self.amount_max:
            raise ValueError("amount_min must not exceed amount_max")
        if self.term_min_months > self.term_max_months:
            raise ValueError("term_min_months must not exceed term_max_months")
        if self.spread_min > self.spread_max:
            raise ValueError("spread_min must not exceed spread_max")
        return self


class NeedIn(_In):
    amount: Money
    term_months: int = Field(ge=1, le=360)
    purpose: Reason
    collateral_offered: list[Collateral] = Field(default_factory=list, max_length=6)
    product_types: list[ProductType] = Field(default_factory=list, max_length=6)
    max_rate: Percent | None = Field(default=None, description="highest annual rate accepted, percent")
    needed_by: date
    consent: Consent = Consent.MATCHED_BANKS
    consent_bank_ids: list[ShortId] = Field(default_factory=list, max_length=20)
    contact_name: Annotated[str, StringConstraints(max_length=100), TRIMMED, CLEAN] = ""
    contact_phone: Annotated[str, StringConstraints(max_length=40), TRIMMED_NFKC, CLEAN] = ""

    @model_validator(mode="after")
    def _named(self) -> NeedIn:
        if self.consent is Consent.NAMED_BANKS and not self.consent_bank_ids:
            raise ValueError("consent named_banks needs consent_bank_ids")
        return self


class ApproveIn(_In):
    amount: Money
    rate: Percent
    term_months: int = Field(ge=1, le=360)


class DisburseIn(_In):
    amount: Money
    disbursed_on: date


class DeclineIn(_In):
    reason_code: DeclineReason
    note: Note = ""


class SubscriptionIn(_In):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    event_types: list[Annotated[str, StringConstraints(max_length=60), TRIMMED, CLEAN]] = Field(
        default_factory=list, max_length=10
    )
    description: Note = ""


class ReplayIn(_In):
    after: int = Field(default=0, ge=0, le=2**31 - 1, description="feed cursor: replay every entry after it")


class RotateIn(_In):
    grace_hours: int = Field(default=24, ge=0, le=168)


class ChangeRequestIn(_In):
    reason: Reason
    preferred_bank_id: ShortId | None = None


class OverrideIn(_In):
    bank_id: ShortId | None = None
    note: Note = ""
