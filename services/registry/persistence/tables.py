"""The registry's tables. An enterprise is one aggregate: its row plus financial reports,
recognitions and key-field tags. Nested facts that are always read whole (IP summary, certificates,
awards, compliance records …) live in JSON columns of the enterprise row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.events.tables import messaging_tables
from shared.money import MoneyType
from shared.officers import officer_assignment_table


class RegistryTable(SQLModel, registry=registry()):
    pass


metadata = RegistryTable.metadata
messaging = messaging_tables(metadata)
# Which officer serves which enterprise, projected from notifications' officer.assigned events.
officer_assignment = officer_assignment_table(metadata)


def _money() -> Any:
    return Field(default=None, sa_column=Column(MoneyType(), nullable=True))


def _json(default: Any) -> Any:
    return Field(default_factory=lambda: type(default)(), sa_column=Column(JSON, nullable=False))


class Enterprise(RegistryTable, table=True):
    __tablename__ = "enterprise"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str = Field(index=True, max_length=200)
    legal_representative: str | None = Field(default=None, max_length=100)
    established_on: date | None = None
    contact_phone: str | None = Field(default=None, max_length=40)
    contact_email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    county_code: str = Field(index=True, max_length=6)
    prefecture_code: str = Field(index=True, max_length=4)
    industry_code: str = Field(index=True, max_length=5)
    size_class: str | None = Field(default=None, index=True, max_length=10)
    niche_market: str | None = Field(default=None, max_length=300)
    niche_since: int | None = None
    main_products: list[str] = _json([])
    ip: dict[str, Any] = _json({})
    rd_institutions: list[dict[str, Any]] = _json([])
    digital_level: int | None = None
    core_systems: list[str] = _json([])
    management_certs: list[str] = _json([])
    product_certs: list[str] = _json([])
    quality: dict[str, Any] = _json({})
    field_flags: dict[str, Any] = _json({})
    national_market_share: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 6), nullable=True))
    international_market_share: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 6), nullable=True))
    market_position_attested: bool | None = None
    renown_attested: bool | None = None
    group_little_giant_similar: bool | None = None
    evaluation_scores: list[dict[str, Any]] = _json([])
    champion: dict[str, Any] = _json({})
    awards: list[dict[str, Any]] = _json([])
    maker_china: list[dict[str, Any]] = _json([])
    honours: list[dict[str, Any]] = _json([])
    compliance: list[dict[str, Any]] = _json([])
    province_features: dict[str, Any] = _json({})
    version: int = 1
    created_at: datetime
    updated_at: datetime


class EnterpriseKeyField(RegistryTable, table=True):
    """One row per key-field tag, so that the list can filter by tag on SQLite and PostgreSQL alike."""

    __tablename__ = "enterprise_key_field"

    uscc: str = Field(primary_key=True, foreign_key="enterprise.uscc", max_length=18)
    code: str = Field(primary_key=True, index=True, max_length=60)


class FinancialReport(RegistryTable, table=True):
    __tablename__ = "financial_report"

    uscc: str = Field(primary_key=True, foreign_key="enterprise.uscc", max_length=18)
    year: int = Field(primary_key=True)
    operating_revenue: Decimal | None = _money()
    main_business_revenue: Decimal | None = _money()
    rd_expense: Decimal | None = _money()
    net_profit: Decimal | None = _money()
    total_assets: Decimal | None = _money()
    total_liabilities: Decimal | None = _money()
    employees: int | None = None
    rd_staff: int | None = None
    new_equity_financing: Decimal | None = _money()
    audited: bool | None = None
    reported_at: datetime


class Recognition(RegistryTable, table=True):
    __tablename__ = "recognition"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(index=True, foreign_key="enterprise.uscc", max_length=18)
    tier: str = Field(index=True, max_length=40)
    level: str = Field(max_length=20)
    batch: str | None = Field(default=None, max_length=60)
    valid_from: date
    valid_to: date = Field(index=True)
    expired_announced: bool = False


class ImportJob(RegistryTable, table=True):
    __tablename__ = "import_job"

    id: str = Field(primary_key=True, max_length=36)
    filename: str = Field(max_length=300)
    dry_run: bool
    status: str = Field(max_length=20)  # queued, running, done, failed
    total_rows: int | None = None
    processed_rows: int = 0
    applied_rows: int = 0
    rejected_rows: int = 0
    error: str | None = None
    created_by: str = Field(max_length=200)
    scope: str | None = Field(default=None, max_length=20)  # the prefecture an operator may import into
    created_at: datetime
    finished_at: datetime | None = None
    # The process running it and its last sign of life (shared.jobs: claimed through the database).
    claimed_by: str | None = Field(default=None, max_length=80)
    heartbeat_at: datetime | None = None


class ImportProblem(RegistryTable, table=True):
    __tablename__ = "import_problem"

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(index=True, foreign_key="import_job.id", max_length=36)
    row: int
    column: str = Field(max_length=100)
    value: str | None = Field(default=None, max_length=500)
    problem_zh: str = Field(max_length=500)
    problem_en: str = Field(max_length=500)


class ExportAudit(RegistryTable, table=True):
    """Who exported what, when, with which filter (personal data leaves the register here)."""

    __tablename__ = "export_audit"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True, max_length=200)
    role: str = Field(max_length=40)
    tenant: str | None = Field(default=None, max_length=64)
    export: str = Field(max_length=60)
    filter: dict[str, Any] = _json({})
    rows: int = 0
    contacts_unmasked: bool = False
    exported_at: datetime = Field(index=True)
