"""Scheduled notices: the 31 January seed-bank filing date (prefecture operators), recognitions
expiring within 90 days (officer and enterprise), and service requests unanswered past their
deadline (escalated to the prefecture operator). Each notice has a deterministic event id, so a run
repeated (or run by two replicas) adds nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from services.notifications.config import NotificationsSettings
from services.notifications.dispatch import Dispatcher
from services.notifications.domain.prefectures import PREFECTURES
from services.notifications.persistence.tables import EnterpriseView, ServiceRequest
from shared.events.catalogue import RequestEscalated
from shared.uow import UnitOfWork
from shared.workdays import working_days_between

log = logging.getLogger(__name__)
FILING_REMINDER_WORKING_DAYS = (20, 10, 5, 1)  # reminders this many working days before 31 January
EXPIRY_HORIZON_DAYS = 90
FILING_EVENT = "srdi.notifications.filing.reminder"
EXPIRING_EVENT = "srdi.notifications.recognition.expiring"


def filing_date_after(today: date) -> date:
    this_year = date(today.year, 1, 31)
    return this_year if today <= this_year else date(today.year + 1, 1, 31)


def filing_reminder_due(today: date) -> tuple[date, int, int] | None:
    """(filing date, reminder step, working days left) when a reminder is due today, else None."""
    filing = filing_date_after(today)
    left = working_days_between(today, filing)
    steps = [step for step in FILING_REMINDER_WORKING_DAYS if step >= left]
    if not steps:
        return None
    return filing, min(steps), left


async def filing_reminders(uow: UnitOfWork, dispatcher: Dispatcher, today: date, now: datetime) -> int:
    due = filing_reminder_due(today)
    if due is None:
        return 0
    filing, step, left = due
    event_id = f"filing:{filing.isoformat()}:{step}"
    sent = 0
    for prefecture in PREFECTURES:
        data = {"prefecture_code": prefecture, "filing_date": filing.isoformat(), "year": filing.year,
                "working_days_left": left}  # fmt: skip
        sent += len(await dispatcher.notify(uow, event_id, FILING_EVENT, data, now))
    return sent


async def expiring_recognitions(uow: UnitOfWork, dispatcher: Dispatcher, today: date, now: datetime) -> int:
    horizon = (today + timedelta(days=EXPIRY_HORIZON_DAYS)).isoformat()
    sent = 0
    for view in list(await uow.session.exec(select(EnterpriseView))):
        for recognition in view.recognitions:
            valid_to = str(recognition.get("valid_to", ""))
            if not today.isoformat() <= valid_to <= horizon:
                continue
            data = {"uscc": view.uscc, "prefecture_code": view.prefecture_code, "tier": recognition.get("tier"),
                    "valid_to": valid_to, "days_left": (date.fromisoformat(valid_to) - today).days}  # fmt: skip
            event_id = f"expiring:{view.uscc}:{recognition.get('tier')}:{valid_to}"
            sent += len(await dispatcher.notify(uow, event_id, EXPIRING_EVENT, data, now))
    return sent


async def escalate_overdue_requests(uow: UnitOfWork, dispatcher: Dispatcher, today: date, now: datetime) -> int:
    query = select(ServiceRequest).where(
        ServiceRequest.status == "submitted", col(ServiceRequest.deadline) < today,
        col(ServiceRequest.escalated_at).is_(None),
    )  # fmt: skip
    count = 0
    for request in list(await uow.session.exec(query)):
        request.escalated_at = now
        uow.session.add(request)
        event = RequestEscalated(uscc=request.uscc, request_id=request.id, officer_id=request.officer_id,
                                 prefecture_code=request.prefecture_code, deadline=request.deadline,
                                 escalated_at=now)  # fmt: skip
        envelope = uow.emit(event)
        await dispatcher.notify(uow, f"escalation:{request.id}", event.TYPE, envelope.data, now)
        count += 1
    return count


async def run_schedule(
    uow_factory: Callable[[], UnitOfWork], settings: NotificationsSettings, now: datetime | None = None
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    today = now.astimezone(Dispatcher(settings).tz).date()
    dispatcher = Dispatcher(settings)
    counts = {}
    async with uow_factory() as uow:
        counts["filing"] = await filing_reminders(uow, dispatcher, today, now)
        counts["expiring"] = await expiring_recognitions(uow, dispatcher, today, now)
        counts["escalated"] = await escalate_overdue_requests(uow, dispatcher, today, now)
        counts["digests"] = len(await dispatcher.flush_digests(uow, now))
        await uow.commit()
    return counts


async def run_scheduled_notices(uow_factory: Callable[[], UnitOfWork], settings: NotificationsSettings) -> None:
    """One round of the daily schedule (run by ``runtime.run_every``: a failing round shows in /readyz)."""
    counts = await run_schedule(uow_factory, settings)
    if any(counts.values()):
        log.info("scheduled notices: %s", counts)


async def flush_due_digests(uow_factory: Callable[[], UnitOfWork], settings: NotificationsSettings) -> None:
    """Close the digest windows that are due (more often than the daily schedule runs)."""
    async with uow_factory() as uow:
        await Dispatcher(settings).flush_digests(uow)
        await uow.commit()
