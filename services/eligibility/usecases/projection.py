"""From the registry's snapshot (as its events carry it) straight to the domain's `Facts`.

The snapshot's ``facts`` are the registry API's ``EnterpriseFacts`` as JSON (validated by the
registry); here each becomes its domain value once: amounts and shares to `Decimal`, dates to `date`,
compliance records to the four gate flags as of the assessment year.
"""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from services.eligibility.domain import facts as domain
from services.eligibility.domain.vocabulary import Tier
from shared.events.catalogue import EnterpriseSnapshot

BlockT = TypeVar("BlockT")

_LEVEL_ORDER = ("national", "provincial", "municipal", "below_municipal")
SME_SIZE_CLASSES = {"medium", "small", "micro"}


def facts_from_snapshot(snapshot: EnterpriseSnapshot, assessment_year: int) -> domain.Facts:
    facts = snapshot.facts
    institution = rd_institution(facts.get("rd_institutions") or [])
    return domain.Facts(
        uscc=snapshot.uscc,
        industry_code=snapshot.industry_code,
        sme=None if snapshot.size_class is None else snapshot.size_class in SME_SIZE_CLASSES,
        established_on=snapshot.established_on,
        niche_years=niche_years(snapshot.niche_since, assessment_year),
        financials=tuple(domain.FinancialYear(**f.model_dump()) for f in snapshot.financials),
        ip=_block(domain.IntellectualProperty, facts.get("ip")),
        rd_institution=domain.RdInstitution(institution["level"], institution["has_institution"]),
        digital_level=facts.get("digital_level"),
        core_systems=tuple(facts.get("core_systems") or ()),
        quality=_block(domain.Quality, facts.get("quality")),
        management_certs=tuple(facts.get("management_certs") or ()),
        product_certs=tuple(facts.get("product_certs") or ()),
        field=_block(domain.ProductField, facts.get("field_flags")),
        national_market_share=_decimal(facts.get("national_market_share")),
        champion=_block(domain.Champion, facts.get("champion"), product_revenue_share=_decimal),
        awards=tuple(
            domain.Award(a["level"], a["year"], a.get("rank"), a.get("kind"), _optional_date(a.get("certificate_date")))
            for a in facts.get("awards") or ()
        ),
        maker_china=tuple(domain.MakerChinaEntry(m["year"], m["group"]) for m in facts.get("maker_china") or ()),
        honours=tuple(domain.Honour(h["type"], _date(h["valid_until"])) for h in facts.get("honours") or ()),
        compliance=domain.Compliance(**compliance(facts.get("compliance") or [], assessment_year)),
        recognitions=tuple(domain.Recognition(Tier(r.tier), r.valid_to) for r in snapshot.recognitions),
        province_features={k: v for k, v in (facts.get("province_features") or {}).items() if v is not None},
        international_market_share=_decimal(facts.get("international_market_share")),
        market_position_attested=facts.get("market_position_attested"),
        evaluation_scores=tuple(
            domain.EvaluationScore(e["year"], Decimal(str(e["score"]))) for e in facts.get("evaluation_scores") or ()
        ),
        # 2026 readings: None when the enterprise has not supplied them, i.e. "cannot decide, needs X"
        # (docs/services/eligibility.md lists which). The ip / field_flags / champion blocks pass through whole.
        renown_attested=facts.get("renown_attested"),
        group_little_giant_similar=facts.get("group_little_giant_similar"),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _optional_date(value: Any) -> date | None:
    return None if value is None else _date(value)


def _block(cls: type[BlockT], raw: dict[str, Any] | None, **convert: Any) -> BlockT | None:
    """A block of facts (None when the registry has none), its fields converted where named."""
    if not raw:
        return None
    names = set(inspect.signature(cls).parameters)
    return cls(**{k: convert[k](v) if k in convert else v for k, v in raw.items() if k in names})


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


def compliance(records: list[dict[str, Any]], assessment_year: int) -> dict[str, bool | None]:
    """Listings count while not removed; accidents and tax evasion count for the last three years.
    A remediated listing no longer blocks (criteria: general gate). Data falsification (2026 gate) is a
    record kind of the register like the others: a record of it in the last three years blocks, and no
    record reads as none, as for accidents and listings."""
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
        "data_falsification_3y": within_window("data_falsification"),
    }
