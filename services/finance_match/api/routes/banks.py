"""Banks, their branches, the LPR, and the banks' products (a bank maintains only its own)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import select

from services.finance_match.api.deps import AdminDep, RuntimeDep
from services.finance_match.api.schemas import BankIn, BranchIn, LprIn, ProductIn
from services.finance_match.persistence.tables import Bank, Branch, LprRate, Product
from services.finance_match.usecases import pairings
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden, not_found

router = APIRouter(prefix="/api/v1/finance", tags=["banks"])


def bank_public(bank: Bank, branches: list[Branch]) -> dict[str, Any]:
    return {
        "bank_id": bank.id,
        "name": bank.name,
        "name_en": bank.name_en,
        "response_working_days": bank.response_working_days,
        "pairing_capacity": bank.pairing_capacity,
        "active": bank.active,
        "branches": [
            {"prefecture_code": b.prefecture_code, "name": b.name, "contact": b.contact}
            for b in sorted(branches, key=lambda b: b.prefecture_code)
        ],
    }


def product_view(product: Product, principal: Principal) -> dict[str, Any]:
    view: dict[str, Any] = {
        "product_id": product.id,
        "bank_id": product.bank_id,
        "name": product.name,
        "product_type": product.product_type,
        "description": product.description,
        "amount_min": f"{product.amount_min:.2f}",
        "amount_max": f"{product.amount_max:.2f}",
        "term_min_months": product.term_min_months,
        "term_max_months": product.term_max_months,
        "spread_min": f"{product.spread_min:.2f}",
        "spread_max": f"{product.spread_max:.2f}",
        "tiers": list(product.tiers),
        "prefectures": list(product.prefectures),
        "industries": list(product.industries),
        "collateral": list(product.collateral),
        "response_working_days": product.response_working_days,
        "active": product.active,
    }
    if principal.role is Role.ADMIN or (principal.role is Role.BANK and principal.tenant == product.bank_id):
        view["internal_notes"] = product.internal_notes
        view["monthly_quota"] = None if product.monthly_quota is None else f"{product.monthly_quota:.2f}"
    return view


async def _branches(runtime: RuntimeDep, bank_id: str | None = None) -> dict[str, list[Branch]]:
    async with runtime.uow() as uow:
        query = select(Branch)
        if bank_id:
            query = query.where(Branch.bank_id == bank_id)
        rows = (await uow.session.execute(query)).scalars()
        found: dict[str, list[Branch]] = {}
        for branch in rows:
            found.setdefault(branch.bank_id, []).append(branch)
        return found


@router.get("/banks", summary="Banks and their branches / 银行及分支机构")
async def list_banks(runtime: RuntimeDep, _: PrincipalDep) -> list[dict[str, Any]]:
    branches = await _branches(runtime)
    async with runtime.uow() as uow:
        banks = (await uow.session.execute(select(Bank).order_by(Bank.id))).scalars()  # type: ignore[arg-type]
        return [bank_public(b, branches.get(b.id, [])) for b in banks]


@router.post("/banks", status_code=201, summary="Register a bank (admin) / 登记银行")
async def create_bank(body: BankIn, runtime: RuntimeDep, _: AdminDep) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with runtime.uow() as uow:
        if await uow.session.get(Bank, body.id) is not None:
            raise Problem(409, "bank-exists", "A bank with this id exists", "该银行编号已存在", detail=body.id)
        bank = Bank(
            id=body.id,
            name=body.name,
            name_en=body.name_en,
            response_working_days=body.response_working_days,
            pairing_capacity=body.pairing_capacity,
            created_at=now,
        )
        uow.session.add(bank)
        await uow.session.flush()
        branches = [Branch(bank_id=bank.id, **b.model_dump()) for b in body.branches]
        uow.session.add_all(branches)
        await uow.session.flush()
        await pairings.pair_unpaired(uow, [b.prefecture_code for b in body.branches])
        await uow.commit()
    return bank_public(bank, branches)


@router.post("/banks/{bank_id}/branches", status_code=201, summary="Add a branch / 新增分支机构")
async def add_branch(bank_id: str, body: BranchIn, runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    if not (principal.role is Role.ADMIN or (principal.role is Role.BANK and principal.tenant == bank_id)):
        raise forbidden("only the bank itself or an admin", "仅本行或管理员可操作")
    async with runtime.uow() as uow:
        if await uow.session.get(Bank, bank_id) is None:
            raise not_found("Bank", "银行")
        existing = (
            await uow.session.execute(
                select(Branch).where(Branch.bank_id == bank_id, Branch.prefecture_code == body.prefecture_code)
            )
        ).scalar()
        if existing is not None:
            raise Problem(409, "branch-exists", "The bank already has a branch there", "该行在此州市已有分支机构")
        uow.session.add(Branch(bank_id=bank_id, **body.model_dump()))
        await uow.session.flush()
        await pairings.pair_unpaired(uow, [body.prefecture_code])
        await uow.commit()
    return body.model_dump()


@router.get("/lpr", summary="LPR history / 贷款市场报价利率")
async def list_lpr(runtime: RuntimeDep, _: PrincipalDep) -> list[dict[str, str]]:
    async with runtime.uow() as uow:
        rows = (await uow.session.execute(select(LprRate).order_by(LprRate.effective_on.desc()))).scalars()  # type: ignore[attr-defined]
        return [
            {
                "effective_on": r.effective_on.isoformat(),
                "one_year": f"{r.one_year:.2f}",
                "five_year": f"{r.five_year:.2f}",
            }
            for r in rows
        ]


@router.put("/lpr/{effective_on}", summary="Record an LPR publication (admin) / 录入LPR")
async def put_lpr(effective_on: str, body: LprIn, runtime: RuntimeDep, _: AdminDep) -> dict[str, str]:
    if body.effective_on.isoformat() != effective_on:
        raise Problem(422, "path-mismatch", "effective_on differs from the path", "路径日期与数据不一致")
    async with runtime.uow() as uow:
        row = await uow.session.get(LprRate, body.effective_on) or LprRate(effective_on=body.effective_on)
        row.one_year, row.five_year = body.one_year, body.five_year
        uow.session.add(row)
        await uow.commit()
    return body.model_dump(mode="json")


@router.get("/products", summary="Products (other banks' private fields hidden) / 金融产品")
async def list_products(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    bank_id: str | None = None,
    product_type: str | None = None,
    include_inactive: bool = Query(default=False),
) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        query = select(Product).order_by(Product.bank_id, Product.id)  # type: ignore[arg-type]
        if bank_id:
            query = query.where(Product.bank_id == bank_id)
        if product_type:
            query = query.where(Product.product_type == product_type)
        if not include_inactive:
            query = query.where(Product.active)  # type: ignore[arg-type]
        products = (await uow.session.execute(query)).scalars()
        return [product_view(p, principal) for p in products]


def _own_bank(principal: Principal, bank_id: str) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.BANK or principal.tenant != bank_id:
        raise forbidden("a bank maintains only its own products", "银行只能维护本行产品")


@router.post("/banks/{bank_id}/products", status_code=201, summary="Add a product (own bank) / 新增产品")
async def create_product(bank_id: str, body: ProductIn, runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    _own_bank(principal, bank_id)
    now = datetime.now(UTC)
    async with runtime.uow() as uow:
        if await uow.session.get(Bank, bank_id) is None:
            raise not_found("Bank", "银行")
        product = Product(
            id=f"p-{uuid.uuid4().hex[:12]}",
            bank_id=bank_id,
            created_at=now,
            updated_at=now,
            **body.model_dump(mode="python"),
        )
        uow.session.add(product)
        await uow.commit()
    return product_view(product, principal)


@router.put("/products/{product_id}", summary="Update a product (own bank) / 修改产品")
async def update_product(
    product_id: str, body: ProductIn, runtime: RuntimeDep, principal: PrincipalDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        product = await uow.session.get(Product, product_id)
        if product is None:
            raise not_found("Product", "产品")
        _own_bank(principal, product.bank_id)
        for key, value in body.model_dump(mode="python").items():
            setattr(product, key, value)
        product.updated_at = datetime.now(UTC)
        uow.session.add(product)
        await uow.commit()
    return product_view(product, principal)
