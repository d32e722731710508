"""The catalogue of integration events: one pydantic model per versioned event type.

Producers build these and emit them through the unit of work; consumers read ``envelope.data`` back
with the same model. The AsyncAPI document under ``docs/`` is generated from this module
(``python -m shared.events.asyncapi``), and a unit test fails when the two drift apart.
A breaking change to an event means a new ``.v2`` type beside the old one, never an edit in place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Envelope


class IntegrationEvent(BaseModel):
    """Base of every event. ``TYPE`` is the CloudEvents type; ``SUBJECT_FIELD`` names the field
    whose value becomes the envelope subject (and so the partition key)."""

    TYPE: ClassVar[str]
    SOURCE: ClassVar[str]
    SUMMARY: ClassVar[str] = ""
    SUBJECT_FIELD: ClassVar[str] = "uscc"

    model_config = ConfigDict(frozen=True)

    def to_envelope(self, traceparent: str | None = None) -> Envelope:
        return Envelope(
            source=f"/srdi/{self.SOURCE}",
            type=self.TYPE,
            subject=str(getattr(self, self.SUBJECT_FIELD)),
            traceparent=traceparent,
            data=self.model_dump(mode="json"),
        )

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> Any:
        return cls.model_validate(envelope.data)


# --- registry ------------------------------------------------------------------------------------


class FinancialYear(BaseModel):
    year: int
    operating_revenue: Decimal | None = None
    main_business_revenue: Decimal | None = None
    rd_expense: Decimal | None = None
    net_profit: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    employees: int | None = None
    rd_staff: int | None = None
    new_equity_financing: Decimal | None = None
    audited: bool | None = None


class RecognitionHeld(BaseModel):
    tier: str
    level: str
    batch: str | None = None
    valid_from: date
    valid_to: date


class EnterpriseSnapshot(BaseModel):
    """Everything consumers need about an enterprise, so that they never call the registry back.
    ``facts`` holds the registry's descriptive facts (IP summary, R&D institutions, digital level,
    certificates, quality, field flags, market share, champion facts, awards, honours, compliance
    records, province features) exactly as the registry API's ``EnterpriseFacts`` schema shows them."""

    uscc: str
    name: str
    prefecture_code: str
    county_code: str
    industry_code: str
    size_class: str | None = None
    established_on: date | None = None
    niche_market: str | None = None
    niche_since: int | None = None
    key_fields: list[str] = Field(default_factory=list)
    contact_email: str | None = None
    financials: list[FinancialYear] = Field(default_factory=list)
    recognitions: list[RecognitionHeld] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    version: int = 1


class EnterpriseRegistered(IntegrationEvent):
    TYPE = "srdi.registry.enterprise.registered.v1"
    SOURCE = "registry"
    SUMMARY = "An enterprise entered the register (full snapshot)."
    uscc: str
    enterprise: EnterpriseSnapshot


class EnterpriseUpdated(IntegrationEvent):
    TYPE = "srdi.registry.enterprise.updated.v1"
    SOURCE = "registry"
    SUMMARY = "Fields of an enterprise changed; carries the changed field names and the new snapshot."
    uscc: str
    changed_fields: list[str]
    enterprise: EnterpriseSnapshot


class FinancialsReported(IntegrationEvent):
    TYPE = "srdi.registry.financials.reported.v1"
    SOURCE = "registry"
    SUMMARY = "A yearly financial report was filed or corrected; carries the new snapshot."
    uscc: str
    year: int
    report: FinancialYear
    enterprise: EnterpriseSnapshot


class RecognitionGranted(IntegrationEvent):
    TYPE = "srdi.registry.recognition.granted.v1"
    SOURCE = "registry"
    SUMMARY = "An enterprise was recognised at a tier (valid three years)."
    uscc: str
    recognition: RecognitionHeld
    enterprise: EnterpriseSnapshot


class RecognitionExpired(IntegrationEvent):
    TYPE = "srdi.registry.recognition.expired.v1"
    SOURCE = "registry"
    SUMMARY = "A recognition passed its valid_to date without renewal."
    uscc: str
    recognition: RecognitionHeld
    enterprise: EnterpriseSnapshot


# --- eligibility ---------------------------------------------------------------------------------


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


CATALOGUE: dict[str, type[IntegrationEvent]] = {
    cls.TYPE: cls
    for cls in (
        EnterpriseRegistered,
        EnterpriseUpdated,
        FinancialsReported,
        RecognitionGranted,
        RecognitionExpired,
        EligibilityAssessed,
        TierChanged,
    )
}
