"""Events the registry produces (topic ``srdi.registry.events``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from shared.events.catalogue.base import IntegrationEvent


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
