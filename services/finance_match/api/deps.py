"""finance_match route dependencies: the runtime, its settings, and the role checks of this service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.finance_match.config import FinanceMatchSettings
from shared.api import PrincipalDep, require_roles
from shared.identity import Principal, Role
from shared.problems import forbidden
from shared.service import ServiceRuntime

Runtime = ServiceRuntime[FinanceMatchSettings]


def runtime(request: Request) -> Runtime:
    hosted: Runtime = request.app.state.runtime
    return hosted


def settings(request: Request) -> FinanceMatchSettings:
    return runtime(request).settings


def wake_webhooks(runtime: Runtime) -> None:
    worker = runtime.state.get("webhook_worker")
    if worker is not None:
        worker.wake()


RuntimeDep = Annotated[Runtime, Depends(runtime)]
SettingsDep = Annotated[FinanceMatchSettings, Depends(settings)]
BankDep = Annotated[Principal, Depends(require_roles(Role.BANK))]
EnterpriseDep = Annotated[Principal, Depends(require_roles(Role.ENTERPRISE))]
OperatorDep = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR))
]
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def bank_of(principal: Principal) -> str:
    if principal.role is not Role.BANK or not principal.tenant:
        raise forbidden("only a bank may do this", "仅银行可执行此操作")
    return principal.tenant


__all__ = ["AdminDep", "BankDep", "EnterpriseDep", "OperatorDep", "PrincipalDep", "RuntimeDep", "SettingsDep"]
