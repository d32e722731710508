"""From the registry's snapshot (as its events carry it) to the assessment profile, in the shape
of the public evaluate contract — so the register and the self-assessment go through one path."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.events.catalogue import EnterpriseSnapshot

_LEVEL_ORDER = ("national", "provincial", "municipal", "below_municipal")
SME_SIZE_CLASSES = {"medium", "small", "micro"}


def profile_from_snapshot(snapshot: EnterpriseSnapshot, assessment_year: int) -> dict[str, Any]:
    facts = snapshot.facts
    profile: dict[str, Any] = {
        "uscc": snapshot.uscc,
        "industry_code": snapshot.industry_code,
        "established_on": snapshot.established_on.isoformat() if snapshot.established_on else None,
        "niche_years": niche_years(snapshot.niche_since, assessment_year),
        "financials": [_financial(f.model_dump(mode="json")) for f in snapshot.financials],
        "ip": facts.get("ip") or None,
        "rd_institution": rd_institution(facts.get("rd_institutions") or []),
        "digital_level": facts.get("digital_level"),
        "core_systems": facts.get("core_systems") or [],
        "quality": facts.get("quality") or None,
        "management_certs": facts.get("management_certs") or [],
        "product_certs": facts.get("product_certs") or [],
        "field": facts.get("field_flags") or None,
        "national_market_share": facts.get("national_market_share"),
        "international_market_share": facts.get("international_market_share"),
        "market_position_attested": facts.get("market_position_attested"),
        "evaluation_scores": facts.get("evaluation_scores") or [],
        "champion": facts.get("champion") or None,
        "awards": [{k: a.get(k) for k in ("level", "year", "rank")} for a in facts.get("awards") or []],
        "maker_china": facts.get("maker_china") or [],
        "honours": facts.get("honours") or [],
        "compliance": compliance(facts.get("compliance") or [], assessment_year),
        "recognitions": [{"tier": r.tier, "valid_until": r.valid_to.isoformat()} for r in snapshot.recognitions],
        "province_features": facts.get("province_features") or {},
    }
    if snapshot.size_class is not None:
        profile["sme"] = snapshot.size_class in SME_SIZE_CLASSES
    return profile


def _financial(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if value is not None}


def niche_years(niche_since: int | None, assessment_year: int) -> int | None:
    """Full years in the niche to the end of last year (criteria: "to the end of last year")."""
    if niche_since is None:
        return None
    return max(0, (assessment_year - 1) - niche_since + 1)


def rd_institution(institutions: list[dict[str, Any]]) -> dict[str, Any]:
    levels = [i.get("level") for i in institutions if i.get("level") in _LEVEL_ORDER]
    if not levels:
        return {"level": "none", "has_institution": bool(institutions)}
    best = min(levels, key=_LEVEL_ORDER.index)
    return {"level": best, "has_institution": True}


def compliance(records: list[dict[str, Any]], assessment_year: int) -> dict[str, bool]:
    """Listings count while not removed; accidents and tax evasion count for the last three years.
    A remediated listing no longer blocks (criteria: general gate)."""
    reference = date(assessment_year, 1, 1)
    window_start = date(assessment_year - 3, 1, 1)

    def listed(kind: str) -> bool:
        return any(
            r["kind"] == kind and (r.get("removed_on") is None or date.fromisoformat(r["removed_on"]) > reference)
            for r in records
        )

    def within_window(*kinds: str) -> bool:
        return any(r["kind"] in kinds and date.fromisoformat(r["since"]) >= window_start for r in records)

    return {
        "abnormal_operation_list": listed("abnormal_operation_list"),
        "serious_dishonesty_list": listed("serious_dishonesty_list"),
        "major_accident_3y": within_window("major_accident", "tax_evasion"),
        "prohibited_products": listed("prohibited_products"),
    }
