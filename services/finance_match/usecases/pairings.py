"""Paired banks (结对银行): assignment balanced by prefecture coverage and capacity, change requests,
operator override, history and coverage per prefecture."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from services.finance_match.domain.pairing import BankCapacity, choose_bank
from services.finance_match.persistence.tables import (
    Bank,
    Branch,
    EnterpriseView,
    Pairing,
    PairingChangeRequest,
    PairingHistory,
)
from shared.events.catalogue import PairingAssigned
from shared.problems import Problem
from shared.uow import UnitOfWork


async def capacities(uow: UnitOfWork) -> list[BankCapacity]:
    banks = list((await uow.session.execute(select(Bank).where(Bank.active))).scalars())  # type: ignore[arg-type]
    branches = (await uow.session.execute(select(Branch.bank_id, Branch.prefecture_code))).all()
    covered: dict[str, set[str]] = {}
    for bank_id, prefecture in branches:
        covered.setdefault(bank_id, set()).add(prefecture)
    return [BankCapacity(b.id, frozenset(covered.get(b.id, ())), b.pairing_capacity) for b in banks]


async def loads(uow: UnitOfWork) -> dict[str, int]:
    rows = await uow.session.execute(select(Pairing.bank_id, func.count()).group_by(Pairing.bank_id))
    return {bank_id: int(n) for bank_id, n in rows}


async def _set(uow: UnitOfWork, view: EnterpriseView, bank_id: str, reason: str, actor: str, note: str = "") -> Pairing:
    now = datetime.now(UTC)
    pairing = await uow.session.get(Pairing, view.uscc)
    previous = pairing.bank_id if pairing else None
    if pairing is None:
        pairing = Pairing(
            uscc=view.uscc, bank_id=bank_id, prefecture_code=view.prefecture_code, assigned_at=now, reason=reason
        )
    else:
        pairing.bank_id, pairing.assigned_at, pairing.reason = bank_id, now, reason
        pairing.prefecture_code = view.prefecture_code
    uow.session.add(pairing)
    uow.session.add(
        PairingHistory(
            uscc=view.uscc, bank_id=bank_id, previous_bank_id=previous, reason=reason, note=note, actor=actor, at=now
        )
    )
    await uow.session.flush()
    uow.emit(
        PairingAssigned(
            uscc=view.uscc,
            bank_id=bank_id,
            previous_bank_id=previous,
            prefecture_code=view.prefecture_code,
            reason=reason,
            occurred_at=now,
        )
    )
    return pairing


async def ensure_paired(uow: UnitOfWork, view: EnterpriseView) -> Pairing | None:
    """An SRDI enterprise without a paired bank gets one (if any bank covers its prefecture)."""
    if not view.is_srdi or not view.prefecture_code:
        return None
    existing = await uow.session.get(Pairing, view.uscc)
    if existing is not None:
        return existing
    chosen = choose_bank(view.prefecture_code, await capacities(uow), await loads(uow))
    if chosen is None:
        return None
    return await _set(uow, view, chosen, "balanced", "system")


async def pair_unpaired(uow: UnitOfWork, prefectures: Sequence[str] | None = None) -> int:
    """Pair every SRDI enterprise still without a bank (after a bank or branch is added)."""
    query = (
        select(EnterpriseView)
        .outerjoin(Pairing, Pairing.uscc == EnterpriseView.uscc)  # type: ignore[arg-type]
        .where(EnterpriseView.is_srdi, col(Pairing.uscc).is_(None))  # type: ignore[arg-type,union-attr]
        .order_by(EnterpriseView.first_seen_at, EnterpriseView.uscc)  # type: ignore[arg-type]
    )
    if prefectures is not None:
        query = query.where(EnterpriseView.prefecture_code.in_(list(prefectures)))  # type: ignore[attr-defined]
    views = list((await uow.session.execute(query)).scalars())
    banks = await capacities(uow)
    load = await loads(uow)
    paired = 0
    for view in views:
        chosen = choose_bank(view.prefecture_code, banks, load)
        if chosen is None:
            continue
        await _set(uow, view, chosen, "balanced", "system")
        load[chosen] = load.get(chosen, 0) + 1
        paired += 1
    return paired


async def request_change(
    uow: UnitOfWork, view: EnterpriseView, requested_by: str, requester: str, reason: str, preferred: str | None
) -> PairingChangeRequest:
    pairing = await uow.session.get(Pairing, view.uscc)
    if pairing is None:
        raise Problem(409, "not-paired", "The enterprise has no paired bank yet", "该企业尚未分配结对银行")
    request = PairingChangeRequest(
        uscc=view.uscc,
        requested_by=requested_by,
        requester=requester,
        current_bank_id=pairing.bank_id,
        preferred_bank_id=preferred,
        reason=reason,
        created_at=datetime.now(UTC),
    )
    uow.session.add(request)
    await uow.session.flush()
    return request


async def override(uow: UnitOfWork, view: EnterpriseView, bank_id: str | None, note: str, actor: str) -> Pairing:
    """An operator assigns the bank (or, without one, the balanced choice other than the current)."""
    current = await uow.session.get(Pairing, view.uscc)
    if bank_id is None:
        exclude = frozenset({current.bank_id}) if current else frozenset()
        bank_id = choose_bank(view.prefecture_code, await capacities(uow), await loads(uow), exclude)
        if bank_id is None:
            raise Problem(
                409,
                "no-bank-available",
                "No other bank covers this prefecture with spare capacity",
                "该州市暂无其他有余量的银行",
            )
    elif await uow.session.get(Bank, bank_id) is None:
        raise Problem(422, "unknown-bank", "Unknown bank", "银行不存在", detail=f"bank_id {bank_id}")
    reason = "change_request" if await _open_requests(uow, view.uscc) else "override"
    pairing = await _set(uow, view, bank_id, reason, actor, note)
    now = datetime.now(UTC)
    for request in await _open_requests(uow, view.uscc):
        request.status, request.decided_by, request.decided_at = "granted", actor, now
        uow.session.add(request)
    return pairing


async def _open_requests(uow: UnitOfWork, uscc: str) -> list[PairingChangeRequest]:
    query = select(PairingChangeRequest).where(PairingChangeRequest.uscc == uscc, PairingChangeRequest.status == "open")
    return list((await uow.session.execute(query)).scalars())


async def history(uow: UnitOfWork, uscc: str) -> list[dict[str, Any]]:
    rows = (
        await uow.session.execute(
            select(PairingHistory).where(PairingHistory.uscc == uscc).order_by(PairingHistory.id)  # type: ignore[arg-type]
        )
    ).scalars()
    return [
        {
            "bank_id": h.bank_id,
            "previous_bank_id": h.previous_bank_id,
            "reason": h.reason,
            "note": h.note,
            "actor": h.actor,
            "at": h.at.isoformat(),
        }
        for h in rows
    ]


async def coverage(uow: UnitOfWork, prefecture: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(EnterpriseView.prefecture_code, func.count(), func.count(col(Pairing.uscc)))
        .outerjoin(Pairing, Pairing.uscc == EnterpriseView.uscc)  # type: ignore[arg-type]
        .where(EnterpriseView.is_srdi)  # type: ignore[arg-type]
        .group_by(EnterpriseView.prefecture_code)
        .order_by(EnterpriseView.prefecture_code)
    )
    if prefecture is not None:
        query = query.where(EnterpriseView.prefecture_code == prefecture)
    result = []
    for code, total, paired in (await uow.session.execute(query)).all():
        ratio = str((Decimal(paired) / Decimal(total)).quantize(Decimal("0.0001"))) if total else "0.0000"
        result.append(
            {"prefecture_code": code, "srdi_enterprises": int(total), "paired": int(paired), "coverage": ratio}
        )
    return result
