"""Enterprises: register, read, update (ETag / If-Match), list; financial reports; recognitions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.registry.api.deps import RuntimeDep
from services.registry.api.schemas import (
    EnterpriseCreate,
    EnterprisePage,
    EnterprisePublic,
    EnterpriseUpdate,
    FinancialReportIn,
    FinancialReportPublic,
    RecognitionIn,
)
from services.registry.persistence.tables import Enterprise, officer_assignment
from services.registry.usecases import access, commands, queries, validation
from services.registry.usecases.snapshots import load_aggregate, public_view
from shared.api import PrincipalDep
from shared.idempotency import run_idempotent
from shared.identity import Principal
from shared.officers import assigned_officer
from shared.problems import Problem
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/registry/enterprises", tags=["enterprises"])


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_if_match(value: str | None) -> int:
    if not value:
        raise Problem(
            428, "if-match-required", "If-Match header required", "修改前须提供 If-Match（ETag）",
            detail="GET the enterprise, then send its ETag in If-Match",
        )  # fmt: skip
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as error:
        raise Problem(412, "stale-version", "If-Match does not match", "ETag 不匹配") from error


async def _view(uow: UnitOfWork, uscc: str, principal: Principal) -> dict[str, Any]:
    enterprise, financials, recognitions, tags = await load_aggregate(uow, uscc)
    assert enterprise is not None
    view = public_view(enterprise, financials, recognitions, tags)
    return EnterprisePublic.model_validate(access.redact_contacts(principal, view)).model_dump(mode="json")


@router.post("", status_code=201, summary="Register an enterprise / 企业登记", response_model=EnterprisePublic)
async def create_enterprise(
    body: EnterpriseCreate,
    request: Request,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Register an enterprise. Send `Idempotency-Key` to make retries safe."""
    access.check_create(principal, body.uscc, validation.prefecture_of(body.county_code))

    async def effect(uow: UnitOfWork) -> tuple[int, Any, dict[str, str]]:
        enterprise = await commands.register(uow, body)
        return 201, await _view(uow, enterprise.uscc, principal), {"ETag": etag(enterprise.version)}

    return await run_idempotent(request, principal, runtime.uow, effect)


@router.get("/{uscc}", summary="One enterprise / 企业详情", response_model=EnterprisePublic)
async def read_enterprise(uscc: str, principal: PrincipalDep, runtime: RuntimeDep, response: Response) -> Any:
    async with runtime.uow() as uow:
        officer = await assigned_officer(uow, officer_assignment, principal, uscc)
        enterprise = access.check_read(principal, await uow.session.get(Enterprise, uscc.upper()), officer)
        response.headers["ETag"] = etag(enterprise.version)
        return await _view(uow, enterprise.uscc, principal)


@router.patch("/{uscc}", summary="Partial update / 修改企业信息", response_model=EnterprisePublic)
async def update_enterprise(
    uscc: str,
    body: EnterpriseUpdate,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Any:
    expected = parse_if_match(if_match)
    async with runtime.uow() as uow:
        enterprise = access.check_write(principal, await uow.session.get(Enterprise, uscc.upper()))
        if enterprise.version != expected:
            raise commands.stale()
        if body.county_code is not None:
            access.check_create(principal, enterprise.uscc, validation.prefecture_of(body.county_code))
        await commands.update_enterprise(uow, enterprise, body)
        view = await _view(uow, enterprise.uscc, principal)
        await uow.commit()
    response.headers["ETag"] = etag(view["version"])
    return view


@router.get("", summary="List enterprises / 企业列表", response_model=EnterprisePage)
async def list_enterprises(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    prefecture: str | None = Query(default=None, max_length=4),
    county: str | None = Query(default=None, max_length=6),
    tier: str | None = Query(default=None, max_length=40, description="a tier currently held"),
    industry: str | None = Query(default=None, max_length=5, description="GB/T 4754 code or prefix, e.g. C39"),
    key_field: str | None = Query(default=None, max_length=64),
    size_class: str | None = Query(default=None, max_length=10),
    q: str | None = Query(default=None, max_length=200, description="name or credit code contains"),
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=500),
) -> dict[str, Any]:
    access.check_list(principal)
    flt = queries.EnterpriseFilter(prefecture, county, tier, industry, key_field, size_class, q)
    async with runtime.uow() as uow:
        data, next_cursor = await queries.list_page(uow, principal, flt, cursor, limit)
    return {"data": data, "next_cursor": next_cursor}


@router.put(
    "/{uscc}/financials/{year}", summary="File a yearly financial report / 报送年度财务数据",
    response_model=FinancialReportPublic,
)  # fmt: skip
async def put_financials(
    uscc: str,
    year: Annotated[int, Path(ge=1990, le=2100, description="the financial year / 财务年度")],
    body: FinancialReportIn,
    request: Request,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """File a year's report. Send `Idempotency-Key` so that a retry after a lost response does not
    announce the report a second time."""

    async def effect(uow: UnitOfWork) -> tuple[int, Any, dict[str, str]]:
        enterprise = access.check_write(principal, await uow.session.get(Enterprise, uscc.upper()))
        created = await commands.report_financials(uow, enterprise, year, body)
        report = FinancialReportPublic(year=year, **body.model_dump()).model_dump(mode="json")
        return 201 if created else 200, report, {"ETag": etag(enterprise.version)}

    return await run_idempotent(request, principal, runtime.uow, effect)


@router.get("/{uscc}/financials", summary="Financial reports / 财务数据", response_model=list[FinancialReportPublic])
async def list_financials(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> Any:
    async with runtime.uow() as uow:
        officer = await assigned_officer(uow, officer_assignment, principal, uscc)
        enterprise = access.check_read(principal, await uow.session.get(Enterprise, uscc.upper()), officer)
        return (await _view(uow, enterprise.uscc, principal))["financials"]


@router.post("/{uscc}/recognitions", status_code=201, summary="Record a recognition / 录入认定结果")
async def grant_recognition(
    uscc: str,
    body: RecognitionIn,
    request: Request,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    access.check_grant(principal)

    async def effect(uow: UnitOfWork) -> tuple[int, Any, dict[str, str]]:
        enterprise = access.check_write(principal, await uow.session.get(Enterprise, uscc.upper()))
        recognition = await commands.grant_recognition(uow, enterprise, body)
        return 201, recognition.model_dump(mode="json"), {"ETag": etag(enterprise.version)}

    return await run_idempotent(request, principal, runtime.uow, effect)
