"""The exchange between officers and enterprises: threads, service requests (诉求), service records."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.notifications.assignments import active_assignment
from services.notifications.config import NotificationsSettings
from services.notifications.dispatch import Dispatcher
from services.notifications.domain.requests import IllegalTransition, RequestStatus, transition
from services.notifications.persistence.tables import (
    EnterpriseView,
    ServiceRecord,
    ServiceRequest,
    Thread,
    ThreadPost,
)
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.uow import UnitOfWork
from shared.workdays import add_working_days

REQUEST_SUBMITTED = "srdi.notifications.request.submitted"


def _id() -> str:
    return str(uuid.uuid4())


async def open_thread(uow: UnitOfWork, view: EnterpriseView, subject: str, body: str, author: Principal) -> Thread:
    now = datetime.now(UTC)
    current = await active_assignment(uow, view.uscc)
    thread = Thread(id=_id(), uscc=view.uscc, officer_id=current.officer_id if current else None,
                    prefecture_code=view.prefecture_code, subject=subject, created_at=now, updated_at=now)  # fmt: skip
    uow.session.add(thread)
    await post(uow, thread, body, author)
    return thread


async def post(uow: UnitOfWork, thread: Thread, body: str, author: Principal) -> ThreadPost:
    now = datetime.now(UTC)
    entry = ThreadPost(thread_id=thread.id, author_role=author.role.value, author=author.name or author.subject,
                       body=body, created_at=now)  # fmt: skip
    thread.updated_at = now
    uow.session.add(thread)
    uow.session.add(entry)
    await uow.session.flush()
    return entry


async def submit_request(
    uow: UnitOfWork, settings: NotificationsSettings, view: EnterpriseView, category: str, description: str,
    today: date | None = None,
) -> ServiceRequest:  # fmt: skip
    now = datetime.now(UTC)
    current = await active_assignment(uow, view.uscc)
    deadline = add_working_days(today or now.date(), settings.notifications_request_deadline_working_days)
    request = ServiceRequest(
        id=_id(), uscc=view.uscc, officer_id=current.officer_id if current else None,
        prefecture_code=view.prefecture_code, category=category, description=description,
        status=RequestStatus.SUBMITTED.value, deadline=deadline, submitted_at=now,
    )  # fmt: skip
    uow.session.add(request)
    await uow.session.flush()
    data = {"uscc": view.uscc, "request_id": request.id, "category": category, "description": description,
            "deadline": deadline.isoformat(), "prefecture_code": view.prefecture_code}  # fmt: skip
    await Dispatcher(settings).notify(uow, f"request:{request.id}", REQUEST_SUBMITTED, data, now)
    return request


ACTORS = {
    "accept": {Role.OFFICER, Role.PREFECTURE_OPERATOR, Role.PROVINCIAL_OPERATOR, Role.ADMIN},
    "resolve": {Role.OFFICER, Role.PREFECTURE_OPERATOR, Role.PROVINCIAL_OPERATOR, Role.ADMIN},
    "close": {Role.ENTERPRISE, Role.PREFECTURE_OPERATOR, Role.PROVINCIAL_OPERATOR, Role.ADMIN},
}


def advance(
    request: ServiceRequest, action: str, principal: Principal, *, resolution: str | None, rating: int | None
) -> ServiceRequest:
    if principal.role not in ACTORS.get(action, set()):
        raise forbidden(f"role {principal.role} may not {action} a request", f"角色 {principal.role} 无权执行此操作")
    try:
        target = transition(request.status, action)
    except IllegalTransition as error:
        raise Problem(
            409, "illegal-transition", "Illegal status transition", "诉求状态不允许此操作",
            detail=str(error), detail_zh=f"诉求当前状态为 {request.status}，不能执行 {action}",
        ) from error  # fmt: skip
    now = datetime.now(UTC)
    request.status = target.value
    if target is RequestStatus.ACCEPTED:
        request.accepted_at = now
    elif target is RequestStatus.RESOLVED:
        request.resolved_at, request.resolution = now, resolution
    elif target is RequestStatus.CLOSED:
        request.closed_at, request.rating = now, rating
    return request


async def record_service(
    uow: UnitOfWork, view: EnterpriseView, officer_id: str, kind: str, served_on: date, notes: str
) -> ServiceRecord:
    record = ServiceRecord(id=_id(), uscc=view.uscc, officer_id=officer_id, prefecture_code=view.prefecture_code,
                           kind=kind, served_on=served_on, notes=notes, created_at=datetime.now(UTC))  # fmt: skip
    uow.session.add(record)
    await uow.session.flush()
    return record
