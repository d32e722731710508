"""The public self-assessment contract (``../shared/reference/evaluate-contract.md``): no login,
nothing stored — the profile comes with the request. The gateway lets it through without a key."""

from __future__ import annotations

from fastapi import APIRouter

from services.eligibility.api.deps import RuleBookDep
from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.contract.response import EvaluateResponse
from services.eligibility.usecases.evaluate import evaluate

router = APIRouter(prefix="/api/v1/eligibility", tags=["evaluate"])


@router.post("/evaluate", summary="Self-assessment for the four tiers / 梯度培育自评", response_model=EvaluateResponse)
async def evaluate_profile(body: EvaluateRequest, book: RuleBookDep) -> EvaluateResponse:
    """Assess a supplied profile against each requested tier: eligibility, score, every indicator and
    condition explained in Chinese and English, and the gaps in the enterprise's own numbers."""
    return evaluate(body, book)
