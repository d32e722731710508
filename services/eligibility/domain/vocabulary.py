"""Closed vocabularies shared by the facts, the rules and the batch columns.

They live in one place so that the scalar engine, the vectorised engine and the API schemas
cannot disagree on a spelling.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    INNOVATIVE_SME = "innovative_sme"
    SRDI_SME = "srdi_sme"
    LITTLE_GIANT = "little_giant"
    SINGLE_CHAMPION = "single_champion"
    SINGLE_CHAMPION_PROVINCIAL = "single_champion_provincial"


# The national ladder, lowest first. The provincial champion is a side branch, not a rung.
TIER_LADDER: tuple[Tier, ...] = (
    Tier.INNOVATIVE_SME,
    Tier.SRDI_SME,
    Tier.LITTLE_GIANT,
    Tier.SINGLE_CHAMPION,
)


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    # Only rule sets whose convention is `missing_fact: undetermined` (the 2026 revision) produce this.
    UNDETERMINED = "undetermined"


class Status(StrEnum):
    """Outcome of one condition (three-valued, Kleene logic)."""

    MET = "met"
    NOT_MET = "not_met"
    UNDETERMINED = "undetermined"


class PassedVia(StrEnum):
    SCORE = "score"
    DIRECT = "direct"
    CONDITIONS = "conditions"


class Application(StrEnum):
    NEW = "new"
    RE_REVIEW = "re_review"


RD_INSTITUTION_LEVELS: tuple[str, ...] = ("national", "provincial", "municipal", "below_municipal", "none")
AWARD_LEVELS: tuple[str, ...] = ("national", "provincial")
MAKER_CHINA_GROUPS: tuple[str, ...] = ("top500", "top50")
TECHNOLOGY_LEADING: tuple[str, ...] = ("international", "domestic", "none")
HONOUR_TYPES: tuple[str, ...] = ("high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo")
# 2026 readings (criteria.md): the little giant's field, and the four national S&T awards that waive its IP.
INDUSTRY_CATEGORIES: tuple[str, ...] = ("traditional", "emerging", "future", "other")
AWARD_KINDS: tuple[str, ...] = (
    "sci_tech_progress",
    "natural_science",
    "technological_invention",
    "national_defence",
    "other",
)
NATIONAL_ST_AWARD_KINDS: tuple[str, ...] = AWARD_KINDS[:4]

# Bit positions for the batch columns. A rule file may only name codes listed here (checked at load),
# so a code the columns cannot represent is caught when the rules are read, not mid-assessment.
CORE_SYSTEM_CODES: tuple[str, ...] = (
    "CAX", "CAD", "CAE", "CAPP", "CAM", "MES", "ERP", "OA", "CRM", "SRM", "PLM", "SCM", "WMS",
)  # fmt: skip
PRODUCT_CERT_CODES: tuple[str, ...] = ("UL", "CSA", "ETL", "GS", "CE", "VDE", "TUV", "FDA", "PSE", "KC")
