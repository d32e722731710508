"""The contract's `profile` → domain `Facts` (the two shapes are field for field the same)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.eligibility.contract.request import ProfileIn
from services.eligibility.domain.facts import model as domain


def profile_to_facts(profile: ProfileIn) -> domain.Facts:
    def dump(model: BaseModel | None) -> dict[str, Any]:
        return model.model_dump() if model is not None else {}

    return domain.Facts(
        uscc=profile.uscc,
        industry_code=profile.industry_code,
        sme=profile.sme,
        established_on=profile.established_on,
        niche_years=profile.niche_years,
        financials=tuple(domain.FinancialYear(**f.model_dump()) for f in profile.financials or []),
        ip=domain.IntellectualProperty(**dump(profile.ip)) if profile.ip else None,
        rd_institution=domain.RdInstitution(**dump(profile.rd_institution)) if profile.rd_institution else None,
        digital_level=profile.digital_level,
        core_systems=_tuple(profile.core_systems),
        quality=domain.Quality(**dump(profile.quality)) if profile.quality else None,
        management_certs=_tuple(profile.management_certs),
        product_certs=_tuple(profile.product_certs),
        field=domain.ProductField(**dump(profile.field)) if profile.field else None,
        national_market_share=profile.national_market_share,
        champion=domain.Champion(**dump(profile.champion)) if profile.champion else None,
        awards=tuple(domain.Award(**a.model_dump()) for a in profile.awards or []),
        maker_china=tuple(domain.MakerChinaEntry(**m.model_dump()) for m in profile.maker_china or []),
        honours=tuple(domain.Honour(**h.model_dump()) for h in profile.honours or []),
        compliance=domain.Compliance(**dump(profile.compliance)) if profile.compliance else None,
        recognitions=tuple(domain.Recognition(**r.model_dump()) for r in profile.recognitions or []),
        province_features={k: v for k, v in (profile.province_features or {}).items() if v is not None},
        international_market_share=profile.international_market_share,
        market_position_attested=profile.market_position_attested,
        evaluation_scores=tuple(domain.EvaluationScore(s.year, s.score) for s in profile.evaluation_scores or []),
    )


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)
