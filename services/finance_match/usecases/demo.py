"""Demo data for the embedded mode (``make run``): real-looking Yunnan banks with branches and
products, and — once the registry's demo enterprises have arrived over the bus — financing needs in
every state (one of them overdue), so a newcomer sees the whole flow at once. Seeded once: a
database that already holds banks is left alone."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from services.finance_match.config import FinanceMatchSettings
from services.finance_match.domain.deadlines import response_due
from services.finance_match.domain.vocabulary import Consent
from services.finance_match.persistence.tables import Bank, Branch, EnterpriseView, Product
from services.finance_match.usecases import needs, pairings
from shared.service import ServiceRuntime
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
ALL = [
    "5301",
    "5303",
    "5304",
    "5305",
    "5306",
    "5307",
    "5308",
    "5309",
    "5323",
    "5325",
    "5326",
    "5328",
    "5329",
    "5331",
    "5333",
    "5334",
]
CITY = {
    "5301": "昆明",
    "5303": "曲靖",
    "5304": "玉溪",
    "5305": "保山",
    "5306": "昭通",
    "5307": "丽江",
    "5308": "普洱",
    "5309": "临沧",
    "5323": "楚雄",
    "5325": "红河",
    "5326": "文山",
    "5328": "西双版纳",
    "5329": "大理",
    "5331": "德宏",
    "5333": "怒江",
    "5334": "迪庆",
}

BANKS: list[dict[str, Any]] = [
    {
        "id": "bank-ynrcc",
        "name": "云南省农村信用社联合社（云南农信）",
        "name_en": "Yunnan Rural Credit Cooperatives",
        "days": 3,
        "capacity": 3000,
        "prefectures": ALL,
    },
    {
        "id": "bank-ccb-yn",
        "name": "中国建设银行云南省分行",
        "name_en": "China Construction Bank Yunnan",
        "days": 3,
        "capacity": 2000,
        "prefectures": ALL,
    },
    {
        "id": "bank-icbc-yn",
        "name": "中国工商银行云南省分行",
        "name_en": "ICBC Yunnan",
        "days": 3,
        "capacity": 1500,
        "prefectures": ["5301", "5303", "5304", "5305", "5308", "5325", "5326", "5329"],
    },
    {
        "id": "bank-fudian",
        "name": "富滇银行",
        "name_en": "Fudian Bank",
        "days": 2,
        "capacity": 1000,
        "prefectures": ["5301", "5303", "5304", "5323", "5325", "5329"],
    },
    {
        "id": "bank-boc-yn",
        "name": "中国银行云南省分行",
        "name_en": "Bank of China Yunnan",
        "days": 5,
        "capacity": 800,
        "prefectures": ["5301", "5325", "5328", "5329", "5331"],
    },
]

PRODUCTS: list[tuple[Any, ...]] = [
    ("bank-ynrcc", "专精特新贷", "srdi_loan", "500000", "10000000", 12, 36, "-0.10", "0.80", ["srdi_sme"], [], []),
    ("bank-ynrcc", "科技信用贷", "credit_loan", "100000", "3000000", 6, 36, "0.35", "1.50", ["innovative_sme"], [], []),
    ("bank-ccb-yn", "善新贷", "credit_loan", "500000", "10000000", 12, 36, "0.00", "1.00", ["innovative_sme"], [], []),
    (
        "bank-ccb-yn",
        "应收账款质押融资",
        "movable_pledge",
        "1000000",
        "30000000",
        6,
        24,
        "0.30",
        "1.20",
        [],
        [],
        ["receivables", "movable"],
    ),
    (
        "bank-icbc-yn",
        "专精特新小巨人贷",
        "srdi_loan",
        "3000000",
        "50000000",
        12,
        60,
        "-0.25",
        "0.50",
        ["little_giant"],
        [],
        [],
    ),
    ("bank-icbc-yn", "科创保险贷", "insurance", "500000", "5000000", 12, 36, "0.40", "1.30", [], [], ["insurance"]),
    ("bank-fudian", "知识产权质押融资", "ip_pledge", "1000000", "20000000", 12, 60, "0.20", "1.20", [], [], ["ip"]),
    ("bank-fudian", "滇科贷", "credit_loan", "300000", "5000000", 6, 36, "0.50", "1.80", [], ["5301", "5325"], []),
    ("bank-boc-yn", "中银科技通", "guarantee", "1000000", "20000000", 12, 60, "0.15", "1.00", [], [], ["guarantee"]),
]


async def seed_banks(uow: UnitOfWork) -> None:
    now = datetime.now(UTC)
    for b in BANKS:
        uow.session.add(
            Bank(
                id=b["id"],
                name=b["name"],
                name_en=b["name_en"],
                response_working_days=b["days"],
                pairing_capacity=b["capacity"],
                created_at=now,
            )
        )
    await uow.session.flush()
    for b in BANKS:
        short = b["name"].split("（")[0]
        for code in b["prefectures"]:
            uow.session.add(
                Branch(
                    bank_id=b["id"],
                    prefecture_code=code,
                    name=f"{short}{CITY[code]}分行",
                    contact=f"{CITY[code]}普惠金融部",
                )
            )
    for i, (bank_id, name, kind, lo, hi, tmin, tmax, smin, smax, tiers, prefs, coll) in enumerate(PRODUCTS, 1):
        uow.session.add(
            Product(
                id=f"p-demo-{i:02d}",
                bank_id=bank_id,
                name=name,
                product_type=kind,
                amount_min=Decimal(lo),
                amount_max=Decimal(hi),
                term_min_months=tmin,
                term_max_months=tmax,
                spread_min=Decimal(smin),
                spread_max=Decimal(smax),
                tiers=tiers,
                prefectures=prefs,
                industries=[],
                collateral=coll,
                internal_notes="内部：授信审批权限在省分行",
                created_at=now,
                updated_at=now,
            )
        )
    await uow.session.flush()


def _need(amount: str, term: int, purpose: str, collateral: list[str], days_ahead: int = 60, **extra: Any) -> Any:
    return needs.NewNeed(
        amount=Decimal(amount),
        term_months=term,
        purpose=purpose,
        collateral_offered=collateral,
        product_types=extra.get("types", []),
        max_rate=Decimal(extra.get("max_rate", "4.50")),
        needed_by=date.today() + timedelta(days=days_ahead),
        consent=extra.get("consent", Consent.MATCHED_BANKS),
        consent_bank_ids=[],
        contact_name="李经理",
        contact_phone="0871-6512 3456",
    )


async def seed_needs(
    runtime: ServiceRuntime[FinanceMatchSettings], srdi: list[EnterpriseView], other: EnterpriseView
) -> None:
    settings = runtime.settings
    top, days = settings.finance_match_distribute_top, settings.finance_match_default_response_days
    plan = [
        ("matched", _need("2000000", 24, "采购原材料（流动资金）", [])),
        ("matched_overdue", _need("3000000", 36, "新产线设备购置", ["ip"])),
        ("accepted", _need("5000000", 24, "研发投入及中试", ["ip", "receivables"])),
        ("approved", _need("1500000", 12, "订单生产周转", [], consent=Consent.PAIRED_BANK_ONLY)),
        ("disbursed", _need("8000000", 36, "技术改造", ["receivables"])),
        ("declined", _need("1000000", 12, "市场拓展", [])),
        ("withdrawn", _need("600000", 12, "人才引进", [])),
        ("expired", _need("2500000", 24, "厂房装修", [], days_ahead=1)),
    ]
    for (label, body), enterprise in zip(plan, srdi, strict=False):
        async with runtime.uow() as uow:
            need = await needs.post_need(uow, enterprise, body, "demo", top, days)
            shares = await needs.shares_of(uow, need.id)
            holder = next((s.bank_id for s in shares if s.why == "paired_bank"), shares[0].bank_id if shares else None)
            if holder is not None:
                if label == "matched_overdue":
                    for share in shares:
                        share.shared_on = date.today() - timedelta(days=14)
                        share.due_on = response_due(share.shared_on, 3)
                        uow.session.add(share)
                if label in ("accepted", "approved", "disbursed"):
                    await needs.accept(uow, need, holder, "demo")
                if label in ("approved", "disbursed"):
                    await needs.approve(uow, need, holder, body.amount, Decimal("3.45"), body.term_months, "demo")
                if label == "disbursed":
                    await needs.disburse(uow, need, holder, body.amount, date.today(), "demo")
                if label == "declined":
                    for share in shares:
                        await needs.decline(uow, need, share.bank_id, "insufficient_collateral", "演示", "demo")
            if label == "withdrawn":
                await needs.withdraw(uow, need, "demo")
            if label == "expired":
                need.needed_by = date.today() - timedelta(days=1)
                uow.session.add(need)
            await uow.commit()
    async with runtime.uow() as uow:  # a need nobody can serve (not SRDI, no paired bank, too large): stays posted
        await needs.post_need(uow, other, _need("900000000", 120, "新建生产基地", []), "demo", top, days)
        await uow.commit()
    async with runtime.uow() as uow:
        await needs.check_deadlines(uow, date.today())
        await uow.commit()


async def _wait_and_seed(runtime: ServiceRuntime) -> None:
    for _ in range(600):
        async with runtime.uow() as uow:
            srdi = list(
                (
                    await uow.session.execute(
                        select(EnterpriseView)
                        .where(col(EnterpriseView.is_srdi), EnterpriseView.industry_code != "")
                        .order_by(col(EnterpriseView.first_seen_at), col(EnterpriseView.uscc))
                        .limit(8)
                    )
                ).scalars()
            )
            other = (
                (
                    await uow.session.execute(
                        select(EnterpriseView)
                        .where(col(EnterpriseView.is_srdi).is_(False), EnterpriseView.industry_code != "")
                        .order_by(col(EnterpriseView.first_seen_at))
                        .limit(1)
                    )
                )
                .scalars()
                .first()
            )
        if len(srdi) >= 8 and other is not None:
            async with runtime.uow() as uow:
                await pairings.pair_unpaired(uow)
                await uow.commit()
            await seed_needs(runtime, srdi, other)
            log.info("finance demo: banks, products and needs in every state seeded")
            return
        await asyncio.sleep(1.0)
    log.warning("finance demo: no enterprises arrived from the registry; needs not seeded")


async def seed_demo_on_start(runtime: ServiceRuntime[FinanceMatchSettings]) -> None:
    settings = runtime.settings
    if not settings.seeds_demo:
        return
    async with runtime.uow() as uow:
        if await uow.session.scalar(select(func.count()).select_from(Bank)):
            return
        await seed_banks(uow)
        await uow.commit()
    runtime.spawn(_wait_and_seed(runtime), "demo-needs")
