"""The eligibility service's tables: its own projection of registry facts (it never calls the
registry), the history of assessments, the current status per tier, jobs and seed banks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric, true
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.events.tables import messaging_tables
from shared.officers import officer_assignment_table


class EligibilityTable(SQLModel, registry=registry()):
    pass


metadata = EligibilityTable.metadata
messaging = messaging_tables(metadata)
# Which officer serves which enterprise, projected from notifications' officer.assigned events.
officer_assignment = officer_assignment_table(metadata)


class FactsProjection(EligibilityTable, table=True):
    """The latest registry snapshot of each enterprise, as the events delivered it."""

    __tablename__ = "facts_projection"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=200)
    prefecture_code: str = Field(index=True, max_length=4)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    snapshot_version: int
    updated_at: datetime


class Assessment(EligibilityTable, table=True):
    __tablename__ = "assessment"

    id: str = Field(primary_key=True, max_length=36)
    uscc: str = Field(index=True, max_length=18)
    assessment_year: int
    trigger: str = Field(max_length=200)
    results: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    assessed_at: datetime = Field(index=True)
    # False: decided on the vectorised path (an imported batch) — `results` hold each tier's outcome
    # and gap count, not yet the explanations; the first reader explains it from the snapshot it was
    # made from (`snapshot_version`, the facts projection's) and stores the explained results.
    explained: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    snapshot_version: int | None = None


class TierStatus(EligibilityTable, table=True):
    """Where each enterprise stands now, per tier — for tier_changed detection and the pyramid."""

    __tablename__ = "tier_status"

    uscc: str = Field(primary_key=True, max_length=18)
    tier: str = Field(primary_key=True, max_length=40)
    prefecture_code: str = Field(index=True, max_length=4)
    eligible: bool = Field(index=True)
    decision: str = Field(max_length=20)
    score: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 2), nullable=True))
    rule_set: str = Field(max_length=80)
    recognised: bool = Field(default=False, index=True)
    assessment_id: str = Field(max_length=36)
    updated_at: datetime


class ReassessmentJob(EligibilityTable, table=True):
    __tablename__ = "reassessment_job"

    id: str = Field(primary_key=True, max_length=36)
    reason: str = Field(max_length=300)
    assessment_year: int
    status: str = Field(max_length=20)  # queued, running, done, failed
    total: int = 0
    processed: int = 0
    flipped: int = 0
    error: str | None = None
    created_by: str = Field(max_length=200)
    created_at: datetime
    finished_at: datetime | None = None
    # The process running it and its last sign of life (shared.jobs: claimed through the database).
    claimed_by: str | None = Field(default=None, max_length=80)
    heartbeat_at: datetime | None = None


class SeedBank(EligibilityTable, table=True):
    """A seed bank (种子库) or the little-giant target list (目标名单) built for a year."""

    __tablename__ = "seed_bank"

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(default="seed_bank", max_length=20)  # seed_bank | target_list
    year: int = Field(index=True)
    tier: str = Field(max_length=40)
    growth_target: int
    multiple: int
    filing_deadline: str = Field(max_length=10)
    scope: str = Field(max_length=10)  # "53" province-wide or a prefecture code
    size: int
    required_size: int = 0
    pool_size: int = 0
    shortfall: int = 0
    rule_set: str = Field(default="", max_length=80)
    per_prefecture: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    entries: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime
