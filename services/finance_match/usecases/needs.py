"""Financing needs: posting, matching and distribution, the banks' responses, and every transition's
event. Each function works inside the caller's unit of work and does not commit.

Distribution: a need goes to the banks of the top ranked products (``finance_match_distribute_top``
distinct banks), to the banks the enterprise named, and always to its paired bank. Each share gets a
response deadline on the working-day calendar. Contact data is visible to a bank only where the
enterprise consented (matched banks: every bank it goes to; paired bank only; named banks).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func
from sqlmodel import col, select

from services.finance_match.domain import lifecycle
from services.finance_match.domain.deadlines import response_due, response_working_days
from services.finance_match.domain.lifecycle import Action, IllegalTransition
from services.finance_match.domain.matching import BankRecord, Lpr, Match, NeedFacts, Offer, ProductIndex
from services.finance_match.domain.vocabulary import Consent, NeedState
from services.finance_match.persistence.tables import (
    Bank,
    Branch,
    EnterpriseView,
    LprRate,
    Need,
    NeedMatch,
    NeedShare,
    NeedTransition,
    Pairing,
    Product,
)
from services.finance_match.usecases.feed import record_feed
from services.finance_match.usecases.projection import tier_rank_of
from shared.events.catalogue import (
    NeedAccepted,
    NeedApproved,
    NeedDeclined,
    NeedDisbursed,
    NeedExpired,
    NeedMatched,
    NeedOverdue,
    NeedPosted,
    NeedWithdrawn,
)
from shared.problems import Problem
from shared.uow import UnitOfWork

DEFAULT_LPR = Lpr(300, 350)  # 2025-05-20: 1-year 3.00 %, 5-year 3.50 %


def illegal(error: IllegalTransition) -> Problem:
    return Problem(
        409,
        "illegal-transition",
        "Illegal state transition",
        "状态不允许此操作",
        detail=str(error),
        detail_zh=error.zh,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def to_bp(percent: Decimal) -> int:
    return int((percent * 100).to_integral_value())


async def lpr_on(uow: UnitOfWork, day: date) -> Lpr:
    query = select(LprRate).where(LprRate.effective_on <= day).order_by(LprRate.effective_on.desc()).limit(1)  # type: ignore[attr-defined]
    rate = (await uow.session.execute(query)).scalars().first()
    if rate is None:
        return DEFAULT_LPR
    return Lpr(to_bp(rate.one_year), to_bp(rate.five_year))


def offer_of(product: Product, branch_prefectures: frozenset[str] = frozenset()) -> Offer:
    """A product as matching sees it; one naming no prefectures serves where its bank has branches."""
    return Offer(
        product_id=product.id,
        bank_id=product.bank_id,
        product_type=product.product_type,
        amount_min_fen=to_fen(product.amount_min),
        amount_max_fen=to_fen(product.amount_max),
        term_min_months=product.term_min_months,
        term_max_months=product.term_max_months,
        spread_min_bp=to_bp(product.spread_min),
        tiers=frozenset(product.tiers),
        prefectures=frozenset(product.prefectures) or branch_prefectures or frozenset({"none"}),
        industries=tuple(product.industries),
        collateral=frozenset(product.collateral),
    )


async def bank_records(uow: UnitOfWork) -> dict[str, BankRecord]:
    """Each bank's measured record: responses, and those within its committed working days."""
    on_time = case((col(NeedShare.response_working_days) <= col(Bank.response_working_days), 1), else_=0)
    rows = await uow.session.execute(
        select(NeedShare.bank_id, func.count(), func.sum(on_time))
        .join(Bank, col(Bank.id) == col(NeedShare.bank_id))
        .where(col(NeedShare.response).is_not(None))
        .group_by(col(NeedShare.bank_id))
    )
    return {bank: BankRecord(int(n), int(ok or 0)) for bank, n, ok in rows}


async def product_index(uow: UnitOfWork, day: date) -> ProductIndex:
    products = (
        await uow.session.execute(
            select(Product).join(Bank, Bank.id == Product.bank_id).where(Product.active, Bank.active)  # type: ignore[arg-type]
        )
    ).scalars()
    branches: dict[str, set[str]] = {}
    for bank_id, prefecture in (await uow.session.execute(select(Branch.bank_id, Branch.prefecture_code))).all():
        branches.setdefault(bank_id, set()).add(prefecture)
    offers = [offer_of(p, frozenset(branches.get(p.bank_id, ()))) for p in products]
    return ProductIndex(offers, await lpr_on(uow, day), await bank_records(uow))


async def paired_bank_of(uow: UnitOfWork, uscc: str) -> str | None:
    pairing = await uow.session.get(Pairing, uscc)
    return pairing.bank_id if pairing else None


def facts_of(need: Need, industry_code: str, paired_bank_id: str | None) -> NeedFacts:
    return NeedFacts(
        need_id=need.id,
        amount_fen=to_fen(need.amount),
        term_months=need.term_months,
        prefecture_code=need.prefecture_code,
        industry_code=industry_code,
        tier_rank=need.tier_rank,
        collateral_offered=frozenset(need.collateral_offered),
        max_rate_bp=None if need.max_rate is None else to_bp(need.max_rate),
        product_types=frozenset(need.product_types),
        paired_bank_id=paired_bank_id,
    )


async def _transition(uow: UnitOfWork, need: Need, action: Action, actor: str, bank_id: str | None = None) -> None:
    try:
        target = lifecycle.next_state(NeedState(need.state), action)
    except IllegalTransition as error:
        raise illegal(error) from error
    now = _now()
    uow.session.add(
        NeedTransition(
            need_id=need.id, from_state=need.state, to_state=target.value, actor=actor, bank_id=bank_id, at=now
        )
    )
    need.state = target.value
    need.updated_at = now
    if target in (NeedState.DISBURSED, NeedState.DECLINED, NeedState.WITHDRAWN, NeedState.EXPIRED):
        need.closed_at = now
    uow.session.add(need)


def _common(need: Need, bank_id: str | None = None, amount: Decimal | None = None) -> dict[str, Any]:
    return {
        "uscc": need.uscc,
        "need_id": need.id,
        "prefecture_code": need.prefecture_code,
        "state": need.state,
        "bank_id": bank_id,
        "amount": amount,
        "occurred_at": need.updated_at,
    }


@dataclass
class NewNeed:
    amount: Decimal
    term_months: int
    purpose: str
    collateral_offered: Sequence[str]
    product_types: Sequence[str]
    max_rate: Decimal | None
    needed_by: date
    consent: Consent
    consent_bank_ids: Sequence[str]
    contact_name: str
    contact_phone: str


async def post_need(
    uow: UnitOfWork, enterprise: EnterpriseView, body: NewNeed, actor: str, distribute_top: int, default_days: int
) -> Need:
    now = _now()
    need = Need(
        id=str(uuid.uuid4()),
        uscc=enterprise.uscc,
        prefecture_code=enterprise.prefecture_code,
        state=NeedState.POSTED.value,
        amount=body.amount,
        term_months=body.term_months,
        purpose=body.purpose,
        collateral_offered=sorted(set(body.collateral_offered)),
        product_types=sorted(set(body.product_types)),
        max_rate=body.max_rate,
        needed_by=body.needed_by,
        consent=body.consent.value,
        consent_bank_ids=sorted(set(body.consent_bank_ids)),
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        tier_rank=tier_rank_of(enterprise),
        posted_at=now,
        updated_at=now,
    )
    uow.session.add(need)
    uow.session.add(NeedTransition(need_id=need.id, from_state=None, to_state=need.state, actor=actor, at=now))
    await uow.session.flush()
    uow.emit(
        NeedPosted(
            **_common(need, amount=need.amount), term_months=need.term_months, product_types=list(need.product_types)
        )
    )
    await run_matching(uow, need, enterprise, "posted", actor, distribute_top, default_days)
    return need


async def run_matching(
    uow: UnitOfWork,
    need: Need,
    enterprise: EnterpriseView,
    trigger: str,
    actor: str,
    distribute_top: int,
    default_days: int,
    index: ProductIndex | None = None,
) -> list[Match]:
    """Rank the products for the need, store the ranking, share the need with the banks it goes to
    (new shares only), and move it posted → matched. One ``need.matched`` event per run that
    distributes or re-ranks."""
    today = _now().date()
    index = index or await product_index(uow, today)
    paired = await paired_bank_of(uow, need.uscc)
    need.tier_rank = tier_rank_of(enterprise)
    matches = index.match(facts_of(need, enterprise.industry_code, paired))
    now = _now()
    await uow.session.execute(delete(NeedMatch).where(NeedMatch.need_id == need.id))  # type: ignore[arg-type]
    for rank, m in enumerate(matches, start=1):
        uow.session.add(
            NeedMatch(
                need_id=need.id,
                rank=rank,
                product_id=m.product_id,
                bank_id=m.bank_id,
                score=m.score,
                rate_from=m.rate_from_percent,
                reasons=[r.as_dict() for r in m.reasons],
                matched_at=now,
            )
        )
    targets: dict[str, str] = {}
    for m in matches:
        if len(targets) >= distribute_top:
            break
        targets.setdefault(m.bank_id, "top_match")
    if need.consent == Consent.NAMED_BANKS:
        for bank_id in need.consent_bank_ids:
            targets.setdefault(bank_id, "named")
    if paired is not None:
        targets[paired] = "paired_bank"
    existing = {
        s.bank_id: s
        for s in (await uow.session.execute(select(NeedShare).where(NeedShare.need_id == need.id))).scalars()  # type: ignore[arg-type]
    }
    known_banks = {
        b.id: b
        for b in (await uow.session.execute(select(Bank).where(Bank.id.in_(list(targets))))).scalars()  # type: ignore[attr-defined]
    }
    new_banks: list[str] = []
    for bank_id, why in sorted(targets.items()):
        bank = known_banks.get(bank_id)
        if bank is None or bank_id in existing:
            continue
        days = bank.response_working_days or default_days
        share = NeedShare(
            need_id=need.id,
            bank_id=bank_id,
            why=why,
            contact_visible=_contact_visible(need, bank_id, paired),
            shared_at=now,
            shared_on=today,
            due_on=response_due(today, days),
        )
        uow.session.add(share)
        new_banks.append(bank_id)
    await uow.session.flush()
    if not existing and not new_banks:
        return matches  # nobody to send it to yet: it stays posted
    if need.state == NeedState.POSTED:
        await _transition(uow, need, Action.MATCH, actor)
    await uow.session.flush()
    for bank_id in new_banks:
        await record_feed(uow, bank_id, need, "need.shared")
    uow.emit(
        NeedMatched(
            **_common(need, amount=need.amount),
            bank_ids=sorted({*existing, *new_banks}),
            top_product_ids=[m.product_id for m in matches[:distribute_top]],
            trigger=trigger,
        )
    )
    return matches


def _contact_visible(need: Need, bank_id: str, paired: str | None) -> bool:
    if need.consent == Consent.MATCHED_BANKS:
        return True
    if need.consent == Consent.PAIRED_BANK_ONLY:
        return bank_id == paired
    return bank_id in need.consent_bank_ids


async def shares_of(uow: UnitOfWork, need_id: str) -> list[NeedShare]:
    return list((await uow.session.execute(select(NeedShare).where(NeedShare.need_id == need_id))).scalars())  # type: ignore[arg-type]


async def _notify_banks(uow: UnitOfWork, need: Need, kind: str) -> None:
    for share in await shares_of(uow, need.id):
        await record_feed(uow, share.bank_id, need, kind)


async def _share(uow: UnitOfWork, need: Need, bank_id: str) -> NeedShare:
    share = await uow.session.get(NeedShare, (need.id, bank_id))
    if share is None:
        raise Problem(404, "not-found", "Need not found", "未找到该融资需求")
    return share


def _already(share: NeedShare) -> Problem:
    return Problem(
        409,
        "already-responded",
        "Your bank has already responded",
        "贵行已答复该需求",
        detail=f"response '{share.response}' recorded at {share.responded_at}",
    )


async def accept(uow: UnitOfWork, need: Need, bank_id: str, actor: str) -> Need:
    share = await _share(uow, need, bank_id)
    if share.response is not None:
        raise _already(share)
    if need.bank_id is not None and need.bank_id != bank_id:
        raise _closed_elsewhere()
    await _transition(uow, need, Action.ACCEPT, actor, bank_id)
    now = _now()
    share.response, share.responded_at = "accepted", now
    share.response_working_days = response_working_days(share.shared_on, now.date())
    uow.session.add(share)
    need.bank_id = bank_id
    await uow.session.flush()
    uow.emit(NeedAccepted(**_common(need, bank_id, need.amount), response_working_days=share.response_working_days))
    await _notify_banks(uow, need, "need.updated")
    return need


def _closed_elsewhere() -> Problem:
    # Says neither which bank took the need nor how far it went.
    return Problem(409, "need-closed", "The need is handled by another institution", "该需求已由其他机构办理")


def _require_holder(need: Need, bank_id: str, action: Action) -> None:
    if need.bank_id is not None and need.bank_id != bank_id:
        raise _closed_elsewhere()
    if need.bank_id is None:
        raise illegal(IllegalTransition(NeedState(need.state), action))


async def approve(
    uow: UnitOfWork, need: Need, bank_id: str, amount: Decimal, rate: Decimal, term_months: int, actor: str
) -> Need:
    await _share(uow, need, bank_id)
    _require_holder(need, bank_id, Action.APPROVE)
    await _transition(uow, need, Action.APPROVE, actor, bank_id)
    need.approved_amount, need.approved_rate, need.approved_term_months = amount, rate, term_months
    await uow.session.flush()
    uow.emit(NeedApproved(**_common(need, bank_id, amount), rate_percent=rate, term_months=term_months))
    await _notify_banks(uow, need, "need.updated")
    return need


async def disburse(uow: UnitOfWork, need: Need, bank_id: str, amount: Decimal, on: date, actor: str) -> Need:
    await _share(uow, need, bank_id)
    _require_holder(need, bank_id, Action.DISBURSE)
    await _transition(uow, need, Action.DISBURSE, actor, bank_id)
    need.disbursed_amount, need.disbursed_on = amount, on
    await uow.session.flush()
    uow.emit(NeedDisbursed(**_common(need, bank_id, amount), disbursed_on=on))
    await _notify_banks(uow, need, "need.updated")
    return need


async def decline(uow: UnitOfWork, need: Need, bank_id: str, reason: str, note: str, actor: str) -> Need:
    """A bank declines. Before acceptance it answers for itself (the need is declined once every bank
    it went to has declined); after, only the accepting bank may decline, and the need is declined."""
    share = await _share(uow, need, bank_id)
    state = NeedState(need.state)
    now = _now()
    if state == NeedState.MATCHED:
        if share.response is not None:
            raise _already(share)
        share.response, share.responded_at = "declined", now
        share.response_working_days = response_working_days(share.shared_on, now.date())
        uow.session.add(share)
        await uow.session.flush()
        if any(s.response is None for s in await shares_of(uow, need.id)):
            return need
    else:
        _require_holder(need, bank_id, Action.DECLINE)
    await _transition(uow, need, Action.DECLINE, actor, bank_id)
    need.decline_reason, need.decline_note = reason, note
    await uow.session.flush()
    uow.emit(NeedDeclined(**_common(need, bank_id, need.amount), reason_code=reason))
    await _notify_banks(uow, need, "need.updated")
    return need


async def withdraw(uow: UnitOfWork, need: Need, actor: str) -> Need:
    await _transition(uow, need, Action.WITHDRAW, actor)
    await uow.session.flush()
    uow.emit(NeedWithdrawn(**_common(need, need.bank_id, need.amount)))
    await _notify_banks(uow, need, "need.updated")
    return need


async def expire(uow: UnitOfWork, need: Need) -> Need:
    await _transition(uow, need, Action.EXPIRE, "system")
    await uow.session.flush()
    uow.emit(NeedExpired(**_common(need, None, need.amount)))
    await _notify_banks(uow, need, "need.updated")
    return need


async def check_deadlines(uow: UnitOfWork, today: date) -> tuple[int, int]:
    """Mark shares whose committed response time passed (one ``need.overdue`` each) and expire open,
    unaccepted needs whose money-needed-by date has passed. Returns (overdue, expired)."""
    overdue = 0
    rows = (
        await uow.session.execute(
            select(NeedShare, Need)
            .join(Need, Need.id == NeedShare.need_id)  # type: ignore[arg-type]
            .where(
                NeedShare.response.is_(None),  # type: ignore[union-attr]
                NeedShare.overdue_at.is_(None),  # type: ignore[union-attr]
                NeedShare.due_on < today,
                Need.state == NeedState.MATCHED.value,
            )
        )
    ).all()
    now = _now()
    for share, need in rows:
        share.overdue_at = now
        uow.session.add(share)
        uow.emit(NeedOverdue(**(_common(need, share.bank_id, need.amount) | {"occurred_at": now}), due_on=share.due_on))
        overdue += 1
    expired = 0
    stale = (
        await uow.session.execute(
            select(Need).where(
                Need.state.in_([NeedState.POSTED.value, NeedState.MATCHED.value]),  # type: ignore[attr-defined]
                Need.needed_by < today,
            )
        )
    ).scalars()
    for need in list(stale):
        await expire(uow, need)
        expired += 1
    await uow.session.flush()
    return overdue, expired


async def open_needs_of(uow: UnitOfWork, uscc: str) -> list[Need]:
    return list(
        (
            await uow.session.execute(
                select(Need).where(Need.uscc == uscc, Need.state.in_([NeedState.POSTED.value, NeedState.MATCHED.value]))  # type: ignore[attr-defined]
            )
        ).scalars()
    )


async def count_needs(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(Need)) or 0)
