"""What each caller sees of a need. A bank sees a need only where it was shared with it, its own
response only, and the enterprise's identity and contact data only where the enterprise consented;
once another bank has accepted the need, the others see it as ``closed``."""

from __future__ import annotations

from typing import Any

from services.finance_match.domain.vocabulary import STATE_ZH, NeedState
from services.finance_match.persistence.tables import EnterpriseView, Need, NeedShare


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _rate(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _base(need: Need) -> dict[str, Any]:
    return {
        "need_id": need.id,
        "amount": _money(need.amount),
        "term_months": need.term_months,
        "purpose": need.purpose,
        "collateral_offered": list(need.collateral_offered),
        "product_types": list(need.product_types),
        "max_rate": _rate(need.max_rate),
        "needed_by": need.needed_by.isoformat(),
        "prefecture_code": need.prefecture_code,
        "posted_at": need.posted_at.isoformat(),
    }


def bank_state(need: Need, bank_id: str) -> str:
    if need.bank_id is not None and need.bank_id != bank_id:
        return "closed"
    return need.state


def bank_view(need: Need, share: NeedShare, enterprise: EnterpriseView | None) -> dict[str, Any]:
    state = bank_state(need, share.bank_id)
    view = _base(need) | {
        "state": state,
        "state_zh": STATE_ZH[NeedState(state)] if state != "closed" else "已由其他机构办理",
        "industry_code": enterprise.industry_code if enterprise else None,
        "tier_rank": need.tier_rank,
        "shared_because": share.why,
        "shared_at": share.shared_at.isoformat(),
        "response_due_on": share.due_on.isoformat(),
        "your_response": share.response,
        "overdue": share.overdue_at is not None and share.response is None,
        "enterprise": None,
    }
    if share.contact_visible and enterprise is not None:
        view["enterprise"] = {
            "uscc": need.uscc,
            "name": enterprise.name,
            "contact_name": need.contact_name,
            "contact_phone": need.contact_phone,
            "contact_email": enterprise.contact_email,
        }
    if need.bank_id == share.bank_id:
        view |= _outcome(need)
    return view


def _outcome(need: Need) -> dict[str, Any]:
    return {
        "approved_amount": _money(need.approved_amount),
        "approved_rate": _rate(need.approved_rate),
        "approved_term_months": need.approved_term_months,
        "disbursed_amount": _money(need.disbursed_amount),
        "disbursed_on": need.disbursed_on.isoformat() if need.disbursed_on else None,
        "decline_reason": need.decline_reason,
    }


def owner_view(need: Need, shares: list[NeedShare], bank_names: dict[str, str]) -> dict[str, Any]:
    """The enterprise's (and operators') view: everything, with each bank's response."""
    return (
        _base(need)
        | {
            "uscc": need.uscc,
            "state": need.state,
            "state_zh": STATE_ZH[NeedState(need.state)],
            "consent": need.consent,
            "consent_bank_ids": list(need.consent_bank_ids),
            "contact_name": need.contact_name,
            "contact_phone": need.contact_phone,
            "bank_id": need.bank_id,
            "decline_note": need.decline_note,
            "updated_at": need.updated_at.isoformat(),
            "shared_with": [
                {
                    "bank_id": s.bank_id,
                    "name": bank_names.get(s.bank_id, s.bank_id),
                    "why": s.why,
                    "contact_visible": s.contact_visible,
                    "response_due_on": s.due_on.isoformat(),
                    "response": s.response,
                    "response_working_days": s.response_working_days,
                    "overdue": s.overdue_at is not None,
                }
                for s in sorted(shares, key=lambda s: s.bank_id)
            ],
        }
        | _outcome(need)
    )
