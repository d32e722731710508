"""Events the eligibility service produces (topic ``srdi.eligibility.events``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from shared.events.catalogue.base import IntegrationEvent


class TierOutcome(BaseModel):
    tier: str
    rule_set: str
    eligible: bool
    decision: str
    score: Decimal | None = None
    passed_via: str | None = None
    gaps: int = 0


class EligibilityAssessed(IntegrationEvent):
    TYPE = "srdi.eligibility.assessed.v1"
    SOURCE = "eligibility"
    SUMMARY = "An enterprise was (re-)assessed against every tier."
    uscc: str
    assessment_id: str
    assessment_year: int
    prefecture_code: str
    results: list[TierOutcome]


class SeedBankIncluded(IntegrationEvent):
    TYPE = "srdi.eligibility.seed_bank.included.v1"
    SOURCE = "eligibility"
    SUMMARY = "An enterprise was selected into a seed bank (种子库) or the target list (目标名单) just built."
    uscc: str
    seed_bank_id: str
    kind: str  # seed_bank | target_list
    tier: str
    year: int
    rank: int
    prefecture_code: str


class TierChanged(IntegrationEvent):
    TYPE = "srdi.eligibility.tier_changed.v1"
    SOURCE = "eligibility"
    SUMMARY = "Eligibility for one tier flipped (emitted only on a change)."
    uscc: str
    tier: str
    eligible: bool
    previously_eligible: bool | None
    rule_set: str
    assessment_id: str
    prefecture_code: str
