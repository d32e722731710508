"""Eligibility route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.eligibility.domain.rulebook.loading import RuleBook, default_rule_book
from shared.service import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def rule_book() -> RuleBook:
    return default_rule_book()


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime)]
RuleBookDep = Annotated[RuleBook, Depends(rule_book)]
