"""Eligibility route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.eligibility.domain.rulebook import RuleBook
from shared.service import ServiceRuntime

RULE_BOOK = "rule_book"  # the key of the rule book in the runtime's state (built at start-up)


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def rule_book(request: Request) -> RuleBook:
    book: RuleBook = request.app.state.runtime.state[RULE_BOOK]
    return book


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime)]
RuleBookDep = Annotated[RuleBook, Depends(rule_book)]
