"""The public self-assessment: answer the evaluate contract (a pure function of the request and the rule book)."""

from __future__ import annotations

from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.contract.response import EvaluateResponse, tier_result_out
from services.eligibility.contract.to_facts import profile_to_facts
from services.eligibility.domain.engine.assess import assess
from services.eligibility.domain.rulebook.loading import RuleBook


def evaluate(request: EvaluateRequest, book: RuleBook | None = None) -> EvaluateResponse:
    """Answer the evaluate contract: one result per requested tier (all tiers if none), in order."""
    results = assess(
        profile_to_facts(request.profile),
        request.assessment_year,
        book=book,
        tiers=request.tiers,
        assessed_on=request.assessed_on,
        application=request.application,
    )
    return EvaluateResponse(assessment_year=request.assessment_year, results=[tier_result_out(r) for r in results])
