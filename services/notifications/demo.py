"""Embedded demo data: officers for every prefecture (before the register's demo population is
announced, so every demo enterprise gets one through the ordinary events), then — once the register
has settled — service records, threads and requests, so that coverage is a real figure on first start."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from services.notifications import assignments
from services.notifications.config import NotificationsSettings
from services.notifications.domain.coverage import is_srdi
from services.notifications.domain.prefectures import PREFECTURES
from services.notifications.domain.requests import CATEGORIES, RECORD_KINDS
from services.notifications.persistence.tables import (
    Assignment,
    EnterpriseView,
    Officer,
    ServiceRecord,
    ServiceRequest,
    Thread,
    ThreadPost,
)
from shared.service import ServiceRuntime
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
OFFICER_OPENING = "您好，关于专精特新申报，需要准备哪些材料？我们可以上门指导。"
REQUEST_TEXT = "希望对接设备更新贷款和技术改造政策 / equipment loan and policy"
SURNAMES = "李王张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("建华", "丽娟", "志强", "海燕", "晓东", "云峰", "雪梅", "国庆", "文静", "明辉")
# Share of SRDI enterprises served last quarter, per prefecture (deterministic): most above 80%.
SERVED_SHARE = {"5301": 0.9, "5325": 0.86, "5329": 0.83, "5303": 0.82, "5333": 0.6, "5334": 0.55}


def roster(per_prefecture: int) -> list[Officer]:
    officers, serial = [], 1
    now = datetime.now(UTC)
    for code, name in PREFECTURES.items():
        for n in range(per_prefecture):
            person = SURNAMES[serial % len(SURNAMES)] + GIVEN[serial % len(GIVEN)]
            officers.append(Officer(
                id=f"officer-{serial:03d}", name=person, organisation=f"{name}中小企业服务中心",
                prefecture_code=code, phone=f"0871-6{serial:03d}{n:03d}",
                email=f"officer-{serial:03d}@example.gov.cn",
                capacity=150, created_at=now,
            ))  # fmt: skip
            serial += 1
    return officers


async def seed_roster(runtime: ServiceRuntime, per_prefecture: int) -> int:
    async with runtime.uow() as uow:
        if await uow.session.scalar(select(func.count()).select_from(Officer)):
            return 0
        officers = roster(per_prefecture)
        uow.session.add_all(officers)
        await uow.commit()
    return len(officers)


async def assign_unassigned(uow: UnitOfWork) -> int:
    assigned = select(Assignment.uscc).where(col(Assignment.ended_at).is_(None))
    views = list(await uow.session.exec(select(EnterpriseView).where(col(EnterpriseView.uscc).not_in(assigned))))
    count = 0
    for view in views:
        if await assignments.assign_automatically(uow, view.uscc, view.prefecture_code) is not None:
            count += 1
    return count


def _dice(uscc: str) -> random.Random:
    """Each enterprise's own deterministic dice: the same decisions on every pass and restart."""
    return random.Random(int(hashlib.sha256(uscc.encode()).hexdigest()[:12], 16))


async def seed_exchange(uow: UnitOfWork, today: date, seen: set[str]) -> int:
    """For assigned enterprises not seen yet: a service record for most SRDI enterprises (in the last
    60 days; two prefectures below the 80% target), and for a few a thread or a request (every state)."""
    rows = (await uow.session.execute(
        select(EnterpriseView, Assignment.officer_id).join(Assignment, col(Assignment.uscc) == EnterpriseView.uscc)
        .where(col(Assignment.ended_at).is_(None), col(EnterpriseView.uscc).not_in(seen))
    )).all()  # fmt: skip
    if not rows:
        return 0
    usccs = [view.uscc for view, _ in rows]
    served = set((await uow.session.execute(
        select(ServiceRecord.uscc).where(col(ServiceRecord.uscc).in_(usccs)))).scalars())  # fmt: skip
    talked = set((await uow.session.execute(select(Thread.uscc).where(col(Thread.uscc).in_(usccs)))).scalars())
    asked = set((await uow.session.execute(
        select(ServiceRequest.uscc).where(col(ServiceRequest.uscc).in_(usccs)))).scalars())  # fmt: skip
    now = datetime.now(UTC)
    created = 0
    for view, officer_id in rows:
        seen.add(view.uscc)
        dice = _dice(view.uscc)
        share = SERVED_SHARE.get(view.prefecture_code, 0.84) if is_srdi(view.recognitions, today) else 0.2
        if dice.random() < share and view.uscc not in served:
            uow.session.add(ServiceRecord(
                id=str(uuid.uuid4()), uscc=view.uscc, officer_id=officer_id, prefecture_code=view.prefecture_code,
                kind=dice.choice(RECORD_KINDS), served_on=today - timedelta(days=dice.randint(0, 60)),
                notes="上门走访，了解经营与融资需求 / visit: operations and financing needs", created_at=now,
            ))  # fmt: skip
            created += 1
        roll = dice.randint(0, 211)
        if roll < 2 and view.uscc not in talked:
            thread = Thread(id=str(uuid.uuid4()), uscc=view.uscc, officer_id=officer_id,
                            prefecture_code=view.prefecture_code, subject="申报材料准备 / preparing the application",
                            created_at=now, updated_at=now)  # fmt: skip
            uow.session.add(thread)
            uow.session.add(ThreadPost(thread_id=thread.id, author_role="officer", author=officer_id,
                                       body=OFFICER_OPENING, created_at=now))  # fmt: skip
            uow.session.add(ThreadPost(thread_id=thread.id, author_role="enterprise", author=view.name,
                                       body="谢谢，下周二方便，请来厂里看看研发中心。", created_at=now))  # fmt: skip
        elif roll < 6 and view.uscc not in asked:
            status = ("submitted", "accepted", "resolved", "closed")[roll - 2]
            submitted = now - timedelta(days=dice.randint(1, 20))
            uow.session.add(ServiceRequest(
                id=str(uuid.uuid4()), uscc=view.uscc, officer_id=officer_id, prefecture_code=view.prefecture_code,
                category=dice.choice(CATEGORIES), description=REQUEST_TEXT,
                status=status, deadline=(submitted + timedelta(days=7)).date(), submitted_at=submitted,
                accepted_at=submitted + timedelta(days=1) if status != "submitted" else None,
                resolved_at=submitted + timedelta(days=4) if status in ("resolved", "closed") else None,
                closed_at=submitted + timedelta(days=5) if status == "closed" else None,
                rating=dice.randint(3, 5) if status == "closed" else None,
            ))  # fmt: skip
    return created


async def demo_exchange_loop(runtime: ServiceRuntime, poll_seconds: float = 5.0, quiet_rounds: int = 24) -> None:
    """While the register's demo population arrives (in bursts), give each new enterprise its
    exchange history; stop once nothing new has come for ``quiet_rounds`` passes."""
    seen: set[str] = set()
    idle, total = 0, 0
    while idle < quiet_rounds:
        await asyncio.sleep(poll_seconds)
        async with runtime.uow() as uow:
            late = await assign_unassigned(uow)
            before = len(seen)
            total += await seed_exchange(uow, date.today(), seen)
            await uow.commit()
        idle = 0 if (len(seen) > before or late) else idle + 1
    log.info("demo data: exchange history for %d enterprises, %d service records", len(seen), total)


async def load_demo_on_first_start(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    if not settings.loads_demo_data:
        return
    seeded = await seed_roster(runtime, settings.notifications_demo_officers_per_prefecture)
    if seeded:
        log.info("demo data: %d officers on the roster", seeded)
    runtime.spawn(demo_exchange_loop(runtime), "demo-exchange")
