"""The exchange: threads officer ↔ enterprise, service requests (诉求) and service records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from services.notifications import exchange
from services.notifications.access import enterprise_visible
from services.notifications.api.deps import RuntimeDep, SettingsDep
from services.notifications.api.schemas import PostIn, RecordIn, RequestIn, ThreadIn, TransitionIn
from services.notifications.assignments import active_assignment
from services.notifications.persistence.tables import Assignment, ServiceRecord, ServiceRequest, Thread, ThreadPost
from shared.api import PrincipalDep
from shared.idempotency import run_idempotent
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/notifications", tags=["exchange"])


def scoped(query: Any, model: Any, principal: Principal, uscc: str | None) -> Any:
    """Limit a listing to what the caller may see."""
    if uscc:
        query = query.where(model.uscc == uscc.upper())
    if principal.is_province_wide:
        return query
    if principal.role is Role.PREFECTURE_OPERATOR:
        return query.where(model.prefecture_code == principal.tenant)
    if principal.role is Role.ENTERPRISE:
        return query.where(model.uscc == principal.tenant)
    if principal.role is Role.OFFICER:
        mine = select(Assignment.uscc).where(
            Assignment.officer_id == principal.tenant, col(Assignment.ended_at).is_(None)
        )
        return query.where(col(model.uscc).in_(mine))
    raise forbidden(f"role {principal.role} has no access to the exchange", f"角色 {principal.role} 无权访问")


def thread_view(thread: Thread, posts: list[ThreadPost] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": thread.id, "uscc": thread.uscc, "officer_id": thread.officer_id,
                            "prefecture_code": thread.prefecture_code, "subject": thread.subject,
                            "created_at": thread.created_at, "updated_at": thread.updated_at}  # fmt: skip
    if posts is not None:
        view["posts"] = [{"author_role": p.author_role, "author": p.author, "body": p.body,
                          "created_at": p.created_at} for p in posts]  # fmt: skip
    return view


def request_view(r: ServiceRequest) -> dict[str, Any]:
    return r.model_dump(mode="json")


@router.post("/threads", status_code=201, summary="Open a thread / 发起会话")
async def open_thread(body: ThreadIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    if principal.role not in (Role.OFFICER, Role.ENTERPRISE, Role.ADMIN):
        raise forbidden("threads are between an officer and an enterprise", "会话仅限服务员与企业之间")
    async with runtime.uow() as uow:
        view = await enterprise_visible(uow, principal, body.uscc)
        thread = await exchange.open_thread(uow, view, body.subject, body.body, principal)
        await uow.commit()
        return thread_view(thread)


@router.get("/threads", summary="Threads / 会话列表")
async def list_threads(
    principal: PrincipalDep, runtime: RuntimeDep, uscc: str | None = Query(default=None, max_length=18),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[dict[str, Any]]:  # fmt: skip
    query = scoped(select(Thread), Thread, principal, uscc).order_by(col(Thread.updated_at).desc()).limit(limit)
    async with runtime.uow() as uow:
        return [thread_view(t) for t in await uow.session.exec(query)]


async def _thread(uow: Any, principal: Principal, thread_id: str) -> Thread:
    thread = await uow.session.get(Thread, thread_id)
    if thread is None:
        raise Problem(404, "not-found", "Thread not found", "未找到该会话")
    await enterprise_visible(uow, principal, thread.uscc)
    return thread


@router.get("/threads/{thread_id}", summary="A thread with its posts / 会话详情")
async def read_thread(thread_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        thread = await _thread(uow, principal, thread_id)
        posts = list(await uow.session.exec(
            select(ThreadPost).where(ThreadPost.thread_id == thread.id).order_by(col(ThreadPost.id))))  # fmt: skip
        return thread_view(thread, posts)


@router.post("/threads/{thread_id}/posts", status_code=201, summary="Reply / 回复")
async def reply(thread_id: str, body: PostIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        thread = await _thread(uow, principal, thread_id)
        if principal.role not in (Role.OFFICER, Role.ENTERPRISE, Role.ADMIN):
            raise forbidden("operators read threads but do not post", "管理员只能查看会话")
        await exchange.post(uow, thread, body.body, principal)
        await uow.commit()
        return thread_view(thread)


@router.post("/requests", status_code=201, summary="Submit a service request / 提交诉求")
async def submit_request(
    body: RequestIn,
    request: Request,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Submit a service request. Send `Idempotency-Key` to make retries safe: a retry with the same key
    answers as the first attempt did and creates no second request (nor a second notice to the officer)."""
    uscc = principal.tenant if principal.role is Role.ENTERPRISE else body.uscc
    if not uscc:
        raise Problem(422, "uscc-required", "uscc is required", "须提供统一社会信用代码", detail="field: uscc")
    if body.uscc and principal.role is Role.ENTERPRISE and body.uscc.upper() != principal.tenant:
        raise forbidden("an enterprise submits its own requests", "企业只能提交本企业的诉求")
    if principal.role in (Role.BANK, Role.PLATFORM):
        raise forbidden()

    async def effect(uow: UnitOfWork) -> tuple[int, Any, dict[str, str]]:
        view = await enterprise_visible(uow, principal, uscc)
        submitted = await exchange.submit_request(uow, settings, view, body.category, body.description)
        return 201, request_view(submitted), {}

    return await run_idempotent(request, principal, runtime.uow, effect)


@router.get("/requests", summary="Service requests / 诉求列表")
async def list_requests(
    principal: PrincipalDep, runtime: RuntimeDep, uscc: str | None = Query(default=None, max_length=18),
    status: str | None = Query(default=None, max_length=20), limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:  # fmt: skip
    query = scoped(select(ServiceRequest), ServiceRequest, principal, uscc)
    if status:
        query = query.where(ServiceRequest.status == status)
    async with runtime.uow() as uow:
        rows = await uow.session.exec(query.order_by(col(ServiceRequest.submitted_at).desc()).limit(limit))
        return [request_view(r) for r in rows]


async def _request(uow: Any, principal: Principal, request_id: str) -> ServiceRequest:
    request = await uow.session.get(ServiceRequest, request_id)
    if request is None:
        raise Problem(404, "not-found", "Request not found", "未找到该诉求")
    await enterprise_visible(uow, principal, request.uscc)
    return request


@router.get("/requests/{request_id}", summary="One service request / 诉求详情")
async def read_request(request_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        return request_view(await _request(uow, principal, request_id))


@router.post("/requests/{request_id}/transitions", summary="Accept / resolve / close (with rating) / 受理、办结、关闭")
async def transition_request(
    request_id: str, body: TransitionIn, principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        request = await _request(uow, principal, request_id)
        exchange.advance(request, body.action, principal, resolution=body.resolution, rating=body.rating)
        uow.session.add(request)
        await uow.commit()
        return request_view(request)


@router.post("/records", status_code=201, summary="Record a service: visit, call, training, diagnosis / 服务记录")
async def create_record(body: RecordIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    if principal.role not in (Role.OFFICER, Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR):
        raise forbidden("officers and operators record services", "仅服务员和管理员可录入服务记录")
    async with runtime.uow() as uow:
        view = await enterprise_visible(uow, principal, body.uscc)
        if principal.role is Role.OFFICER:
            officer_id = principal.tenant or ""
        else:
            current = await active_assignment(uow, view.uscc)
            if current is None:
                raise Problem(409, "no-officer", "The enterprise has no officer", "该企业尚未分配服务员")
            officer_id = current.officer_id
        record = await exchange.record_service(uow, view, officer_id, body.kind, body.served_on, body.notes)
        await uow.commit()
        return record.model_dump(mode="json")


@router.get("/records", summary="Service records / 服务记录")
async def list_records(
    principal: PrincipalDep, runtime: RuntimeDep, uscc: str | None = Query(default=None, max_length=18),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:  # fmt: skip
    query = scoped(select(ServiceRecord), ServiceRecord, principal, uscc)
    async with runtime.uow() as uow:
        rows = await uow.session.exec(query.order_by(col(ServiceRecord.served_on).desc()).limit(limit))
        return [r.model_dump(mode="json") for r in rows]
